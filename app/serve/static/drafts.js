// Live preview for the draft editor: the server renders the Markdown (same renderer as the
// saved page, raw HTML disabled) so the preview shows exactly what will be stored.
// Without JavaScript the form still saves; only the preview stops following the text.
document.addEventListener("DOMContentLoaded", () => {
  // The session's CSRF token (base.html's meta tag): cookie-authenticated API calls send it.
  const csrfToken = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };
  const form = document.getElementById("draft-form");
  const source = document.getElementById("draft-markdown");
  const preview = document.getElementById("preview");
  const problems = document.getElementById("preview-problems");
  if (!form || !source || !preview || !problems) return;
  const url = form.dataset.previewUrl;
  let timer = null;
  let sent = 0;

  const showProblems = (items) => {
    problems.replaceChildren(
      ...items.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      })
    );
    problems.hidden = items.length === 0;
  };

  const refresh = async () => {
    const ticket = ++sent;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ markdown: source.value }),
      });
      if (ticket !== sent) return; // a newer request is on its way
      const body = await response.json();
      if (!response.ok) {
        showProblems([body.error ? body.error.message : "プレビューを更新できませんでした。"]);
        return;
      }
      preview.innerHTML = body.html; // server-rendered with raw HTML disabled
      showProblems(body.problems);
      form.dataset.previewed = String(ticket);
    } catch (error) {
      showProblems(["プレビューを更新できませんでした（通信エラー）。"]);
    }
  };

  source.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
});
