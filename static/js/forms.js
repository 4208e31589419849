// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Keyboard and screen-reader users land on the list of fields to fix.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
  var buttons = document.querySelectorAll("[data-action='print']");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function () {
      window.print();
    });
  }
})();
