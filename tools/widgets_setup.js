// Loaded by every page with widgets, after require.js and before the widget
// manager (see nb_ipywidgets_js in _config.yml and tools/offline_assets.py).
(function () {
  // The widget manager finds its fonts next to its own module: point that
  // module at the copy this book serves, so nothing is fetched from elsewhere.
  var here = document.currentScript.src;
  window.require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": new URL("html-manager", here).href,
    },
  });
  // The widget manager typesets labels with MathJax 2's MathJax.Hub.Queue;
  // the book loads MathJax 3. Translate, once MathJax 3 has loaded (it is a
  // deferred script, so it has by DOMContentLoaded; widgets render at load).
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (mj && !mj.Hub && mj.typesetPromise) {
      mj.Hub = {
        Queue: function (job) {
          var element = job && job[2];
          if (element) {
            mj.typesetPromise([element]).catch(function () {});
          }
        },
      };
    }
  });
  // Widget pictures carry their description as a tooltip (title); give them
  // the same text as alt text, for screen readers.
  function describe() {
    document.querySelectorAll(".widget-image[title]:not([alt])").forEach(
      function (img) {
        img.alt = img.title;
      },
    );
  }
  new MutationObserver(describe).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["title"],
  });
})();
