package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pushbench/pushbench/harness"
	"github.com/pushbench/pushbench/scenarios"
)

// calibrationStep is one scenario --calibrate runs, at its own sizes.
type calibrationStep struct {
	scenario string
	clients  []int
	rate     []float64
}

// calibrationPlan is the short measurement --calibrate runs on this
// machine: the built-in idle, fanout, throughput and chat scenarios in
// their quick forms, each at three sizes and two repetitions, so that
// every model has a size to hold out and an interval. Tests replace it
// with a smaller one.
var calibrationPlan = struct {
	steps       []calibrationStep
	repetitions int
	transports  []string // nil: all
}{
	steps: []calibrationStep{
		{scenario: "idle", clients: []int{100, 300, 1000}},
		{scenario: "fanout", clients: []int{50, 200, 1000}},
		{scenario: "throughput", rate: []float64{500, 1000, 2000}},
		{scenario: "chat", clients: []int{10, 20, 40}},
	},
	repetitions: 2,
}

// calibrationScenarios are the plan's scenarios, ready to run.
func calibrationScenarios() ([]scenarios.Scenario, error) {
	var out []scenarios.Scenario
	for _, st := range calibrationPlan.steps {
		sc, err := scenarios.Find(st.scenario)
		if err != nil {
			return nil, err
		}
		if sc, err = sc.QuickForm(); err != nil {
			return nil, err
		}
		if st.clients != nil {
			sc.Clients = st.clients
		}
		if st.rate != nil {
			sc.Rate = st.rate
		}
		sc.Repetitions = calibrationPlan.repetitions
		sc.StopAtSLO = false // a step past the SLO is a size the p99 model needs
		out = append(out, sc)
	}
	return out, nil
}

// calibrate runs the calibration plan into dir (out/calibrate-TIMESTAMP
// when empty), its progress lines on stderr, and returns the folder.
func calibrate(dir string, stderr io.Writer) (string, error) {
	list, err := calibrationScenarios()
	if err != nil {
		return "", err
	}
	if dir == "" {
		dir = filepath.Join("out", "calibrate-"+time.Now().Format("20060102-150405"))
	}
	fmt.Fprintf(stderr, "pushbench advise: calibrating on this machine into %s (idle, fanout, throughput and chat at three sizes, two repetitions; a few minutes)\n", dir)
	r, err := harness.New(harness.Config{Out: dir, Transports: calibrationPlan.transports, Pin: true, Log: stderr})
	if err != nil {
		return "", err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runErr := r.Run(ctx, list)
	if err := r.Store().Close(); err != nil {
		return "", fmt.Errorf("calibration: failed to write results.json: %w", err)
	}
	if runErr != nil {
		return "", fmt.Errorf("calibration: %w (what it measured is in %s)", runErr, dir)
	}
	return dir, nil
}
