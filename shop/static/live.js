/* Live board: follow the stream's server-sent events and refresh the figures in place.
   Without JavaScript (or EventSource) the page still works: the Refresh button reloads it. */
(function () {
  var root = document.querySelector("[data-events]");
  if (!root || !window.EventSource) return;
  var source = new EventSource(root.getAttribute("data-events"));
  function pick(state, path) {
    return path.split(".").reduce(function (value, key) { return value == null ? value : value[key]; }, state);
  }
  source.addEventListener("state", function (event) {
    var state = JSON.parse(event.data);
    if (state.status !== root.getAttribute("data-status") || (state.pinned && !root.querySelector(".pinned"))) {
      window.location.reload();
      return;
    }
    root.querySelectorAll("[data-live]").forEach(function (el) {
      var value = pick(state, el.getAttribute("data-live"));
      el.textContent = value == null ? "" : value;
      var box = el.closest("[data-hide-empty]");
      if (box) box.hidden = value == null || value === "";
    });
    var list = root.querySelector("[data-latest-orders]");
    if (list && state.sales && state.sales.latest) {
      list.replaceChildren.apply(list, state.sales.latest.map(function (line) {
        var li = document.createElement("li");
        li.textContent = line;
        return li;
      }));
    }
  });
})();
