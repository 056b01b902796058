// Chat: stream answers from the JSON API as server-sent events (fetch + ReadableStream).
// Without JavaScript the form posts and the page shows the answer after a redirect.
(() => {
  "use strict";
  // The session's CSRF token (base.html's meta tag): cookie-authenticated API calls send it.
  const csrfToken = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };
  const chat = document.getElementById("chat");
  if (!chat || !window.fetch || !window.TextDecoder || !window.ReadableStream) return;
  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const messages = document.getElementById("messages");
  const conversation = document.getElementById("conversation-id");
  const button = document.getElementById("ask-button");
  let busy = false;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollToEnd(node) {
    node.scrollIntoView({ block: "end", behavior: "smooth" });
  }

  function addUserMessage(text) {
    const empty = document.getElementById("chat-empty");
    if (empty) empty.remove();
    const item = element("li", "message user");
    item.append(element("div", "bubble", text));
    messages.append(item);
    scrollToEnd(item);
  }

  function addAssistantMessage() {
    const item = element("li", "message assistant pending");
    const bubble = element("div", "bubble");
    const note = element("p", "note");
    note.hidden = true;
    const citations = element("ol", "citations");
    citations.hidden = true;
    const engine = element("small", "engine", "回答を作成しています…");
    item.append(bubble, note, citations, engine);
    messages.append(item);
    scrollToEnd(item);
    return { item, bubble, note, citations, engine };
  }

  // Answer text with [n] markers turned into links to the cited passages.
  function renderAnswer(bubble, text, citations) {
    bubble.textContent = "";
    const parts = text.split(/(\[\d+\]|\n)/);
    for (const part of parts) {
      if (part === "\n") {
        bubble.append(document.createElement("br"));
        continue;
      }
      const marker = /^\[(\d+)\]$/.exec(part);
      const citation = marker && citations[Number(marker[1]) - 1];
      if (citation) {
        const sup = element("sup");
        const link = element("a", "cite-ref", part);
        link.href = citation.url;
        sup.append(link);
        bubble.append(sup);
      } else if (part) {
        bubble.append(part);
      }
    }
  }

  function japaneseDate(iso) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return match ? `${match[1]}年${Number(match[2])}月${Number(match[3])}日` : iso || "";
  }

  function citationUrl(c) {
    return `/documents/${c.document_id}?start=${c.start}&end=${c.end}#passage`;
  }

  function renderFinal(view, data) {
    const citations = (data.citations || []).map((c) => ({ ...c, url: citationUrl(c) }));
    renderAnswer(view.bubble, data.answer || "", citations);
    view.citations.textContent = "";
    for (const c of citations) {
      const item = element("li");
      const quote = c.quote.length > 90 ? `${c.quote.slice(0, 89)}…` : c.quote;
      const link = element("a", "citation", `「${quote}」`);
      link.href = c.url;
      const source = [c.vendor_name, c.title].filter(Boolean).join("・");
      item.append(link, " ", element("small", "", source + (c.date ? `（${japaneseDate(c.date)}）` : "")));
      view.citations.append(item);
    }
    view.citations.hidden = citations.length === 0;
    view.note.textContent = data.note || "";
    view.note.hidden = !data.note;
    view.engine.textContent =
      data.engine === "llm" ? "LLMによる回答（引用は検証済み）" : "オフラインの回答";
    view.item.classList.remove("pending");
    if (!data.found) view.item.classList.add("not-found");
  }

  function showError(view, message) {
    view.item.classList.remove("pending");
    view.item.classList.add("error");
    view.bubble.textContent = message;
    view.engine.textContent = "";
  }

  function parseEvent(raw) {
    let name = "message";
    let data = "";
    for (const line of raw.split("\n")) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    return { name, data: data ? JSON.parse(data) : {} };
  }

  function setConversation(id) {
    conversation.value = String(id);
    for (const hidden of document.querySelectorAll(".suggestion-form [name=conversation_id]")) {
      hidden.value = String(id);
    }
    const url = new URL(window.location.href);
    url.searchParams.set("conversation_id", String(id));
    url.searchParams.delete("cleared");
    window.history.replaceState(null, "", url.pathname + url.search);
  }

  function handle(event, view) {
    if (event.name === "meta") setConversation(event.data.conversation_id);
    else if (event.name === "token") view.bubble.append(event.data.text);
    else if (event.name === "replace") view.bubble.textContent = "";
    else if (event.name === "done") renderFinal(view, event.data);
    else if (event.name === "error") showError(view, event.data.message);
    scrollToEnd(view.item);
  }

  async function ask(question) {
    busy = true;
    button.disabled = true;
    addUserMessage(question);
    const view = addAssistantMessage();
    const body = { question };
    if (conversation.value) body.conversation_id = Number(conversation.value);
    try {
      const response = await fetch(chat.dataset.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => null);
        showError(view, (problem && problem.error && problem.error.message) || "質問を送信できませんでした。");
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          handle(parseEvent(buffer.slice(0, end)), view);
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      showError(view, "通信が途切れました。もう一度お試しください。");
    } finally {
      busy = false;
      button.disabled = false;
      input.focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  });
  for (const suggestion of document.querySelectorAll(".suggestion-form")) {
    suggestion.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!busy) ask(suggestion.querySelector("[name=question]").value);
    });
  }
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
})();
