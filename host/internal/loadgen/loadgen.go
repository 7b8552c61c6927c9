// Package loadgen keeps goroutines calling a function over and over, the
// traffic that the tests which kill a plugin or a Redis server keep up
// while they do. It is for tests and their helper processes only.
package loadgen

import "sync"

// Start starts n goroutines; goroutine i calls step(i) again and again
// until step returns false or stop is called. stop ends the loops, waits
// for every goroutine to return and may be called once.
func Start(n int, step func(i int) bool) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if !step(i) {
					return
				}
			}
		})
	}
	return func() {
		close(done)
		wg.Wait()
	}
}
