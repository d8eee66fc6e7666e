/* Figures on narrow screens (phones). Jupyter Book 1 adds every .js file of
   _static to every page.

   A figure is drawn for its natural width (the width its PNG asks for,
   convattn.plotting: 90 px per inch, at most 7 in), with text of at least
   10 pt = 12.5 px. The theme scales an image down to its column, so on a
   390 px phone a 630 px figure would shrink to about half and its text to
   6 px. Here a figure never shrinks below FLOOR of its natural width, which
   keeps that text at 10 px or more; what does not fit the column scrolls
   sideways inside the figure's own box (the page itself never does). CSS
   cannot know an image's natural width, hence these few lines. The pictures
   of the kernel-free explorers carry no text and are left alone. */
(function () {
  "use strict";
  var FLOOR = 0.8;

  function naturalWidth(img) {
    // myst-nb writes the width the figure asks for as an inline style.
    var w = parseFloat(img.style.width || img.getAttribute("width"));
    return w > 0 ? w : 0;
  }

  function prepare(img) {
    var w = naturalWidth(img);
    if (!w) return;
    img.style.minWidth = Math.ceil(FLOOR * w) + "px";
    img.setAttribute("data-natural-width", String(w));
    var inner = img.parentElement.matches("a.image-reference")
      ? img.parentElement : img;
    if (inner.parentElement.classList.contains("convattn-figure-scroll")) return;
    var box = document.createElement("div");
    box.className = "convattn-figure-scroll";
    inner.parentElement.insertBefore(box, inner);
    box.appendChild(inner);
  }

  // A box that scrolls must be reachable from the keyboard (WCAG 2.1.1):
  // the link around the picture usually is; a bare picture's box gets a
  // tab stop and a name, only while it actually scrolls.
  function update() {
    document.querySelectorAll(".convattn-figure-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("convattn-scrolls", scrolls);
      if (box.querySelector("a[href]")) return;
      if (scrolls) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "figure, scrolls sideways");
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  function run() {
    document.querySelectorAll(".cell_output img").forEach(function (img) {
      if (!img.closest(".convattn-frame-explorer")) prepare(img);
    });
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
  window.addEventListener("resize", update);
})();
