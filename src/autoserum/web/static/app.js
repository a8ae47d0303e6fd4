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
