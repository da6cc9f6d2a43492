// Start Swagger UI on the service's OpenAPI document (a file, so the page needs no inline script).
"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // never send the document to an outside validator (hospitals run offline)
    tryItOutEnabled: false,
  });
});
