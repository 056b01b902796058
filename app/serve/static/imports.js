// The bulk-import page: while files are pending, read the batch's JSON every 1.5 s and
// update the progress bar, the counts, the current file and each file's row. The page itself
// is rendered from the same rows, so a reload shows the same state. No inline script (CSP).
(() => {
  const section = document.getElementById("import");
  if (!section) return;

  function outcome(cell, file) {
    cell.textContent = "";
    if (file.error) {
      cell.textContent = file.error;
    } else if (file.document_id) {
      const link = document.createElement("a");
      link.href = `/documents/${file.document_id}`;
      link.textContent = file.created ? "保存しました" : "同じ内容の文書が既に保存されています";
      cell.appendChild(link);
    }
  }

  function show(batch) {
    const bar = document.getElementById("import-progress");
    bar.max = batch.total;
    bar.value = batch.finished;
    bar.textContent = `${batch.percent}%`;
    document.getElementById("import-summary").textContent =
      `${batch.finished} / ${batch.total} 件を処理しました（保存 ${batch.stored} 件、` +
      `保存済みと同じ内容 ${batch.duplicates} 件、失敗 ${batch.failed} 件）。`;
    const current = document.getElementById("import-current");
    current.querySelector("span").textContent = batch.current || "";
    current.hidden = batch.complete;
    document.getElementById("import-done").hidden = !batch.complete;
    batch.files.forEach((file) => {
      const row = section.querySelector(`tr[data-job="${file.job_id}"]`);
      if (!row) return;
      row.className = `status-${file.status}`;
      row.querySelector(".status").textContent = file.status_label;
      outcome(row.querySelector(".outcome"), file);
    });
    section.dataset.complete = batch.complete ? "true" : "false";
  }

  async function poll() {
    if (section.dataset.complete === "true") return;
    try {
      const response = await fetch(section.dataset.api, { headers: { Accept: "application/json" } });
      if (response.ok) show(await response.json());
    } catch (error) {
      // The server was briefly unreachable: the next tick tries again.
    }
    if (section.dataset.complete !== "true") window.setTimeout(poll, 1500);
  }

  window.setTimeout(poll, 1500);
})();
