// Starts the vendored Swagger UI on /docs (an init file, because the CSP forbids inline script).
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") return;
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    validatorUrl: null, // never ask an outside validator about our schema
    presets: [SwaggerUIBundle.presets.apis],
  });
});
