package report

// PlotView exposes plotView to the external tests.
var PlotView = plotView
