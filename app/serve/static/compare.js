// Sortable tables: a header button sorts its column by the cells' data-value (numbers
// numerically, text in Japanese collation); empty values always go last. No inline script.
(() => {
  const collator = new Intl.Collator("ja");

  function sortBy(table, th) {
    const headers = Array.from(th.parentElement.children);
    const index = headers.indexOf(th);
    const numeric = th.dataset.sort === "number";
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    headers.forEach((other) => other.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const value = (row) => row.cells[index].dataset.value ?? row.cells[index].textContent.trim();
    rows.sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === "" || y === "") return (x === "") - (y === "");
      const order = numeric ? Number(x) - Number(y) : collator.compare(x, y);
      return ascending ? order : -order;
    });
    rows.forEach((row) => body.appendChild(row));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("table.sortable").forEach((table) => {
      table.querySelectorAll("th[data-sort] button").forEach((button) => {
        button.addEventListener("click", () => sortBy(table, button.closest("th")));
      });
    });
  });
})();
