// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // After 测算 the answer is brought into view and focused (a phone would show the form again);
  // otherwise keyboard and screen-reader users land on the list of fields to fix.
  // (An answer and a list together: a scheme not configured, whose answer says whom to ask.)
  var result = document.getElementById("result");
  var summary = document.getElementById("error-summary");
  if (result) {
    result.focus({ preventScroll: true });
    result.scrollIntoView({ block: "start" });
  } else if (summary) {
    summary.focus();
  }
  // Only the chosen scheme's fields: a group lists the schemes it applies to in data-scheme.
  // A hidden group is disabled too, so that its fields are not sent; a group with an error stays.
  var scheme = document.getElementById("f-scheme");
  if (scheme) {
    var groups = document.querySelectorAll("[data-scheme]");
    // 窗口: 另加险种 never offers the scheme already chosen above (the server ignores it there too).
    var also = document.querySelectorAll("input[name='also']");
    var showScheme = function () {
      for (var a = 0; a < also.length; a++) {
        var same = also[a].value === scheme.value;
        also[a].disabled = same;
        also[a].parentNode.hidden = same;
      }
      for (var g = 0; g < groups.length; g++) {
        var group = groups[g];
        var applies = group.getAttribute("data-scheme").split(" ").indexOf(scheme.value) >= 0;
        var hide = !applies && !group.querySelector("[aria-invalid='true']");
        group.hidden = hide;
        if (group.tagName === "FIELDSET") {
          group.disabled = hide;
        }
      }
    };
    scheme.addEventListener("change", showScheme);
    showScheme();
  }
  var buttons = document.querySelectorAll("[data-action='print']");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function () {
      window.print();
    });
  }
})();
