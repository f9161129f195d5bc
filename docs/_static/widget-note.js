// A stored ipywidgets view needs a running kernel. Replace each one with a note saying where the
// control lives; the static figure next to it in the notebook shows the default setting.
document.addEventListener("DOMContentLoaded", () => {
  const views = document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]');
  for (const view of views) {
    const note = document.createElement("p");
    note.className = "widget-note";
    note.style.fontStyle = "italic";
    note.textContent = "Interactive control: run this notebook in JupyterLab or on Binder " +
      "to use it.";
    view.after(note);
  }
});
