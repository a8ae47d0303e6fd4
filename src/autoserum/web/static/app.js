/* autoserum: after a refused form, move focus to the first bad field named by the error
   banner (#form-errors[data-focus]) and scroll it to the middle of the screen, so that its
   message is in view; with no field named, focus the banner itself. */
document.addEventListener("DOMContentLoaded", function () {
  var banner = document.getElementById("form-errors");
  if (!banner) { return; }
  var target = document.getElementById(banner.getAttribute("data-focus") || "") || banner;
  for (var node = target.parentElement; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") { node.open = true; }
  }
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "center" });
});

/* A table wider than the screen scrolls inside its .table-wrap: make that region reachable
   from the keyboard (WCAG 2.1.1; axe's scrollable-region-focusable) while it overflows. */
(function () {
  function mark() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var w = wraps[i];
      if (w.scrollWidth > w.clientWidth) { w.setAttribute("tabindex", "0"); }
      else { w.removeAttribute("tabindex"); }
    }
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
})();
