// Progressive enhancement only: the pages work fully without this script.
// 1. Show the stage that T and N give while the user chooses them (the server says it on submit).
// 2. Offer a print button on the result page.
(function () {
  "use strict";

  function showDerivedStage() {
    var output = document.getElementById("stage-derived");
    var t = document.getElementById("t_category");
    var n = document.getElementById("n_category");
    if (!output || !t || !n) {
      return;
    }
    var stages = JSON.parse(output.getAttribute("data-stages") || "{}");
    function update() {
      var stage = stages[t.value + " " + n.value];
      output.textContent = stage
        ? output.getAttribute("data-with").replace("{stage}", stage)
        : output.getAttribute("data-without");
    }
    t.addEventListener("change", update);
    n.addEventListener("change", update);
  }

  function offerPrint() {
    var buttons = document.querySelectorAll(".js-print");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function () { window.print(); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    showDerivedStage();
    offerPrint();
  });
})();
