(function () {
  var box = document.getElementById("filter");
  var pick = document.getElementById("service");
  var shown = document.getElementById("shown");
  function apply() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var service = pick.value;
    var rows = 0;
    document.querySelectorAll("[data-search]").forEach(function (el) {
      var text = el.getAttribute("data-search");
      var match = (!service || el.getAttribute("data-service") === service) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      el.hidden = !match;
      if (match && el.tagName === "TR") { rows += 1; }
    });
    shown.textContent = String(rows);
    if (words.length || service) {
      document.querySelectorAll("details.fold").forEach(function (d) { d.open = true; });
    }
  }
  var asked = new URLSearchParams(location.hash.slice(1));
  if (asked.get("filter")) { box.value = asked.get("filter"); }
  if (asked.get("service")) { pick.value = asked.get("service"); }
  box.addEventListener("input", apply);
  pick.addEventListener("change", apply);
  apply();
})();
