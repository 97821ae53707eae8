"""A small round-robin TCP load balancer on loopback, for tests with several app nodes.

Each incoming connection goes to the next backend; a backend that refuses the connection (its node
is down) is skipped, as a real balancer's health check would. gunicorn's sync workers close every
connection after its response, so consecutive requests alternate between the nodes.
"""
from __future__ import annotations

import itertools
import socket
import threading


class RoundRobinBalancer:
    def __init__(self, backends: list[int]):
        self.backends = backends
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._next = itertools.cycle(range(len(backends)))
        self._lock = threading.Lock()
        self.served: dict[int, int] = {port: 0 for port in backends}
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _connect(self) -> socket.socket | None:
        # Take the starting backend once and then try every backend in turn from there: drawing each try
        # from the shared cycle let concurrent connections skip the live node (two threads each drawing
        # the dead one twice) and close the client although a node was up.
        with self._lock:
            start = next(self._next)
        for offset in range(len(self.backends)):
            port = self.backends[(start + offset) % len(self.backends)]
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                continue  # that node is down: the next one
            upstream.settimeout(None)
            with self._lock:
                self.served[port] += 1
            return upstream
        return None

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = self._connect()
        if upstream is None:
            client.close()
            return
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    def stop(self) -> None:
        self._stopped = True
        self.listener.close()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
