// Scroll a highlighted citation into view; everything else works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const passage = document.getElementById("passage");
  if (passage) passage.scrollIntoView({ block: "center" });
});
