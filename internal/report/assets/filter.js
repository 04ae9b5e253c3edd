// markbot's report pages: filters the rows of the page's tables as one
// types, in the page, without a server. Every term (separated by spaces)
// must appear in the row or in its group's name; ?q=… fills the filter
// on load. The pages work without it: the filter stays hidden and every
// row is shown.
"use strict";
(function () {
  var form = document.getElementById("filter-form");
  var input = document.getElementById("filter");
  if (!form || !input) {
    return;
  }
  var count = document.getElementById("filter-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.filterable tbody tr"));
  var texts = rows.map(function (row) {
    var group = row.closest("[data-group]");
    return ((group ? group.getAttribute("data-group") + " " : "") + row.textContent).toLowerCase();
  });
  var groups = Array.prototype.slice.call(document.querySelectorAll("[data-group]"));
  function apply() {
    var terms = input.value.toLowerCase().split(/\s+/).filter(function (t) { return t !== ""; });
    var shown = 0;
    rows.forEach(function (row, i) {
      var match = terms.every(function (t) { return texts[i].indexOf(t) >= 0; });
      row.hidden = !match;
      if (match) {
        shown++;
      }
    });
    groups.forEach(function (group) {
      group.hidden = terms.length > 0 && group.querySelector("tbody tr:not([hidden])") === null;
    });
    if (count) {
      count.textContent = terms.length > 0 ? shown + " of " + rows.length + " rows" : "";
    }
  }
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) {
    input.value = q;
  }
  form.hidden = false;
  input.addEventListener("input", apply);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    apply();
    var url = new URL(window.location.href);
    if (input.value) {
      url.searchParams.set("q", input.value);
    } else {
      url.searchParams.delete("q");
    }
    window.history.replaceState(null, "", url);
  });
  apply();
})();
