package loadgen_test

import (
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/tokenplug/tokenplug/host/internal/loadgen"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStepsRunUntilStopAndStopWaitsForThem(t *testing.T) {
	var calls [3]atomic.Int64
	var stopped atomic.Bool
	ran := make(chan int, 3)
	stop := loadgen.Start(3, func(i int) bool {
		if stopped.Load() {
			t.Errorf("goroutine %d called its step after stop returned", i)
		}
		if calls[i].Add(1) == 2 {
			ran <- i // each goroutine calls its step again and again
		}
		return true
	})
	for range 3 {
		<-ran
	}
	stop()
	stopped.Store(true) // goleak, in TestMain, fails the run if one is still running
}

func TestStepReturningFalseEndsOnlyItsGoroutine(t *testing.T) {
	var calls [2]atomic.Int64
	busy := make(chan struct{})
	stop := loadgen.Start(2, func(i int) bool {
		if n := calls[i].Add(1); i == 1 && n == 100 {
			close(busy)
		}
		return i == 1 // goroutine 0 stops after its first call
	})
	<-busy
	stop()
	if n := calls[0].Load(); n != 1 {
		t.Fatalf("goroutine 0 called its step %d times after returning false, want 1", n)
	}
}
