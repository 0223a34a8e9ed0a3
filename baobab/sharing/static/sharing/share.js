// The share section, enhanced: the sentence saying who will see the object
// follows the TLP and distribution chosen, and the sharing group is asked
// for only with group distribution. Without this script every choice is
// already explained next to it.
(function () {
  "use strict";
  var section = document.getElementById("share");
  var data = document.getElementById("share-summaries");
  var summary = document.getElementById("share-summary");
  if (!section || !data || !summary) { return; }
  var sentences = JSON.parse(data.textContent);
  var group = document.getElementById("share-group");

  function checked(name) {
    var input = section.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : "";
  }

  function groupName() {
    var select = group ? group.querySelector("select") : null;
    var option = select && select.value ? select.options[select.selectedIndex] : null;
    return option ? option.text : "\u2026";
  }

  function update() {
    var distribution = checked("distribution");
    var sentence = sentences[checked("tlp") + " " + distribution];
    if (sentence) { summary.textContent = sentence.replace("{group}", groupName()); }
    if (group) { group.hidden = distribution !== "group"; }
  }

  section.addEventListener("change", update);
  update();
}());
