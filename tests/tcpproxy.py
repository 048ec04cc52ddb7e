"""A TCP relay on 127.0.0.1 that can go silent: a database that accepts but never answers.

``TcpProxy(target_port)`` relays each connection to ``127.0.0.1:target_port``.
``freeze()``: new connections are accepted (the kernel does that) and never
served, relayed bytes stop flowing both ways; the peers see a server that
hangs, not one that refuses.  ``thaw()`` closes what was frozen and relays
again.  ``close()`` ends everything.  Threads are daemons; every socket is
closed by ``thaw``/``close``.
"""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _keep(self, *socks: socket.socket) -> None:
        with self.lock:
            self.sockets.extend(socks)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._keep(client)
            if not self.flowing.is_set():
                continue  # accepted, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._keep(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data or not self.flowing.is_set():
                    break  # a frozen relay drops what it got and stays silent
                dst.sendall(data)
        except OSError:
            pass
        if self.flowing.is_set():
            for sock in (src, dst):
                _shut(sock)

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        """Close every connection (frozen ones are garbage now) and relay again."""
        self._close_all()
        self.flowing.set()

    def close(self) -> None:
        """Stop listening (new connections are refused) and close every connection."""
        self.closed = True
        _shut(self.listener)  # wakes the accept() in progress; a bare close() would not
        self.listener.close()
        self._close_all()

    def _close_all(self) -> None:
        with self.lock:
            socks, self.sockets = self.sockets, []
        for sock in socks:
            _shut(sock)
            sock.close()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
