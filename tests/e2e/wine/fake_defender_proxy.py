#!/usr/bin/env python3
"""The Defender cloud, as the Wine end-to-end test's runner reaches it.

A local HTTP proxy (the machine's WinHTTP proxy in the Wine prefix) that
answers CONNECT itself: it terminates TLS with a certificate for the
requested host, issued by a throw-away CA the test adds to the prefix's
trusted roots, and answers every request "200 OK". The Defender service is
the one boundary the tests cannot reach; everything on the Windows side
(WinHTTP, its proxy, certificate validation) is the real code path.

  fake_defender_proxy.py --dir DIR
    makes DIR/ca.pem (the CA to trust), serves on 127.0.0.1:0, writes the
    port to DIR/port and one line per request to DIR/requests.log.
"""
import argparse
import os
import socket
import ssl
import subprocess
import threading

HOSTS = ["winatp-gw-cus.microsoft.com", "winatp-gw-eus.microsoft.com"]


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_certificates(d):
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, cert = (os.path.join(d, n) for n in ("leaf.key", "leaf.csr",
                                                   "leaf.pem"))
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
        "2", "-subj", "/CN=mdefleet test Defender CA", "-keyout", ca_key,
        "-out", ca, "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
        "/CN=" + HOSTS[0], "-keyout", key, "-out", csr)
    ext = os.path.join(d, "leaf.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + h for h in HOSTS) +
                "\nextendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert)
    return cert, key


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def serve(conn, context, log, lock):
    try:
        head = read_head(conn)
        request_line = head.split("\r\n", 1)[0]
        with lock:
            log.write(request_line + "\n")
            log.flush()
        if request_line.startswith("CONNECT "):
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            conn = context.wrap_socket(conn, server_side=True)
            inner = read_head(conn).split("\r\n", 1)[0]
            with lock:
                log.write("  TLS: " + inner + "\n")
                log.flush()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                     b"Connection: close\r\n\r\nOK")
    except (OSError, ssl.SSLError) as e:
        with lock:
            log.write("  error: %s\n" % e)
            log.flush()
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    d = parser.parse_args().dir
    cert, key = make_certificates(d)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    lock = threading.Lock()
    log = open(os.path.join(d, "requests.log"), "a")
    port_file = os.path.join(d, "port")
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, context, log, lock),
                         daemon=True).start()


if __name__ == "__main__":
    main()
