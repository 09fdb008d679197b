package msglog_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (the tests wait on the log's change channel from goroutines).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
