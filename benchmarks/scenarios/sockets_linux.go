package scenarios

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// kernelSockets counts the TCP sockets of this host whose local port is
// port, in any state that still holds buffers: every state but LISTEN
// and TIME-WAIT. A socket the server has closed but whose unsent data
// the kernel still retries (FIN-WAIT-1) counts. It reads /proc/net/tcp
// and /proc/net/tcp6 and reports false when it cannot.
func kernelSockets(port int) (int, bool) {
	n, ok := 0, false
	for _, path := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		ok = true
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 {
				continue
			}
			local, state := fields[1], fields[3]
			i := strings.LastIndexByte(local, ':')
			p, err := strconv.ParseUint(local[i+1:], 16, 16)
			if err != nil || int(p) != port || state == "0A" || state == "06" { // LISTEN, TIME-WAIT
				continue
			}
			n++
		}
		f.Close()
	}
	return n, ok
}
