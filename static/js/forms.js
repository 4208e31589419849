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
  // Only the chosen scheme's fields: a group lists the schemes it applies to in data-scheme; on the
  // counter a scheme ticked under 另加险种 shows its group too (each scheme of a quote has its own choice).
  // A hidden group is disabled too, so that its fields are not sent; a group with an error stays.
  var scheme = document.getElementById("f-scheme");
  if (scheme) {
    var groups = document.querySelectorAll("[data-scheme]");
    // 窗口: 另加险种 never offers the scheme already chosen above (the server ignores it there too).
    var also = document.querySelectorAll("input[name='also']");
    var region = document.getElementById("f-region");
    var medical = document.querySelector("fieldset.medical[data-needs]");
    var needs = {};
    if (medical) {
      try {
        needs = JSON.parse(medical.getAttribute("data-needs")) || {};
      } catch (e) {
        needs = {};
      }
    }
    var chosen = function () {
      var codes = [scheme.value];
      for (var a = 0; a < also.length; a++) {
        if (also[a].checked && !also[a].disabled) {
          codes.push(also[a].value);
        }
      }
      return codes;
    };
    // The medical block shows only what the chosen city's rule takes (data-need lists the rule shapes a
    // part applies to); a city not configured shows none of them: the answer says whom to ask.
    var showNeeds = function () {
      if (!medical || !region) {
        return;
      }
      // the month asked: the start month typed (YYYY-MM), else the month the page was drawn for
      var start = document.getElementById("f-start");
      var month = start && /^[0-9]{4}-[0-9]{2}$/.test(start.value) ? start.value : medical.getAttribute("data-month");
      var need = "";
      var runs = needs[region.value] || [];
      for (var r = 0; r < runs.length; r++) {
        if (runs[r][0] <= month && month <= runs[r][1]) {
          need = runs[r][2];
        }
      }
      // what the chosen city needs, as the server would say it (the words by rule shape are on the hint)
      var hint = document.getElementById("h-medical");
      var shape = need || "not_configured";
      if (hint && (hint.getAttribute("data-shape") !== shape || hint.getAttribute("data-month") !== month)) {
        var words = {};
        try {
          words = JSON.parse(hint.getAttribute("data-instructions")) || {};
        } catch (e) {
          words = {};
        }
        var option = region.options[region.selectedIndex];
        var name = option ? option.text.split(" · ").pop() : "";
        var said = words[shape] || "";
        hint.textContent = name && said ? name + "（" + month + "）：" + said : "";
        hint.setAttribute("data-shape", shape);
        hint.setAttribute("data-month", month);
      }
      var parts = medical.querySelectorAll("[data-need]");
      for (var p = 0; p < parts.length; p++) {
        var applies = parts[p].getAttribute("data-need").split(" ").indexOf(need) >= 0;
        var hide = !applies && !parts[p].querySelector("[aria-invalid='true']");
        parts[p].hidden = hide;
        var inputs = parts[p].querySelectorAll("input, select");
        for (var i = 0; i < inputs.length; i++) {
          inputs[i].disabled = hide;
        }
      }
    };
    var showScheme = function () {
      for (var a = 0; a < also.length; a++) {
        var same = also[a].value === scheme.value;
        also[a].disabled = same;
        also[a].parentNode.hidden = same;
      }
      var codes = chosen();
      for (var g = 0; g < groups.length; g++) {
        var group = groups[g];
        var listed = group.getAttribute("data-scheme").split(" ");
        var applies = false;
        for (var c = 0; c < codes.length; c++) {
          applies = applies || listed.indexOf(codes[c]) >= 0;
        }
        var hide = !applies && !group.querySelector("[aria-invalid='true']");
        group.hidden = hide;
        if (group.tagName === "FIELDSET") {
          group.disabled = hide;
        }
      }
      showNeeds();
    };
    scheme.addEventListener("change", showScheme);
    for (var b = 0; b < also.length; b++) {
      also[b].addEventListener("change", showScheme);
    }
    if (region) {
      region.addEventListener("change", showNeeds);
    }
    var startField = document.getElementById("f-start");
    if (startField) {
      startField.addEventListener("change", showNeeds);
    }
    showScheme();
  }
  var buttons = document.querySelectorAll("[data-action='print']");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function () {
      window.print();
    });
  }
})();
