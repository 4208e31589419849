// Progressive enhancement of the region select (templates/pages/_region.html): a filter box that
// narrows the grouped list as the user types a place name or a code. Without this file the plain
// select works as is. Options are rebuilt from a copy rather than hidden, since some phone browsers
// ignore hidden options.
(function () {
  "use strict";
  function enhance(select) {
    if (select.getAttribute("data-enhanced")) {
      return;
    }
    select.setAttribute("data-enhanced", "1");
    var input = document.getElementById(select.getAttribute("data-region-filter"));
    if (!input) {
      return;
    }
    var box = input.parentNode;
    var count = document.getElementById(input.getAttribute("aria-describedby"));
    var original = select.cloneNode(true);
    box.hidden = false;

    function apply() {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var chosen = select.value;
      var found = 0;
      var keep = false;
      while (select.firstChild) {
        select.removeChild(select.firstChild);
      }
      var nodes = original.children;
      for (var i = 0; i < nodes.length; i++) {
        var node = nodes[i];
        if (node.tagName === "OPTION") { // the blank choice, if any, always stays
          select.appendChild(node.cloneNode(true));
          continue;
        }
        var group = node.cloneNode(false);
        var options = node.getElementsByTagName("option");
        for (var j = 0; j < options.length; j++) {
          var text = (options[j].getAttribute("data-search") || options[j].textContent).toLowerCase();
          var match = words.every(function (w) { return text.indexOf(w) >= 0; });
          if (match) {
            var copy = options[j].cloneNode(true);
            copy.selected = copy.value === chosen;
            keep = keep || copy.selected;
            group.appendChild(copy);
            found += 1;
          }
        }
        if (group.children.length) {
          select.appendChild(group);
        }
      }
      if (!keep && found) {
        select.value = select.querySelector("optgroup option").value;
      }
      if (count) {
        count.textContent = words.length ? (found ? "找到 " + found + " 个地区" : "没有匹配的地区，请换个写法") : "";
      }
    }

    input.addEventListener("input", apply);
    input.addEventListener("keydown", function (event) {
      // Enter or the down arrow moves to the narrowed list instead of submitting the form
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        apply();
      }
    });
  }
  var selects = document.querySelectorAll("select[data-region-filter]");
  for (var i = 0; i < selects.length; i++) {
    enhance(selects[i]);
  }
})();
