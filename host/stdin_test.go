package host_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
)

func TestPluginDoesNotShareItsHostsStdin(t *testing.T) {
	// The host's stdin holds input for the host (a password prompt's
	// answer, a piped request) and stays open.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteString("input-meant-for-the-host-only\n"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testbin.Path("hostproc"), testbin.Path("fault"), "stdin")
	cmd.Stdin = r
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer cmd.Wait()
	defer cmd.Process.Kill()
	// The fault plugin's "stdin" token says what its first read of stdin
	// returned.
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("host printed no token: %v", err)
	}
	if got, want := strings.TrimSpace(line), `stdin "" EOF`; got != want {
		t.Fatalf("plugin read %s from stdin, want %s", got, want)
	}
}
