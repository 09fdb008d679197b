package report

// PlotView exposes plotView to the external tests.
var PlotView = plotView

// ModelShades and OtherShades expose the plots' hue families.
var ModelShades, OtherShades = modelShades, otherShades
