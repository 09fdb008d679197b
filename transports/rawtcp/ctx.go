package rawtcp

import "context"

// onDone runs f once ctx is done, like context.AfterFunc, and returns a
// release func that stops f from running or, when f already started, waits
// until f has returned. Call release exactly once, so no goroutine outlives
// its owner.
func onDone(ctx context.Context, f func()) (release func()) {
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		f()
	})
	return func() {
		if !stop() {
			<-done
		}
	}
}
