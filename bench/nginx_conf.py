#!/usr/bin/python3
"""Writes the nginx.conf of bench/run.sh: nginx answers POST /<Operation> itself, with a 200 and
exactly the body cruddur answered to that operation's request (seed.py's capture), through
`return` (no file, no error page), with WORKERS worker processes.

usage: nginx_conf.py CAPTURE_DIR PORT WORKERS NGINX_DIR > nginx.conf

nginx reads a configuration token into a 4 KB buffer, so a longer body (Query's) is split into
variables set from literals of under 4 KB and joined in the `return`.
"""
import os
import sys

CHUNK = 3000  # bytes per literal, under nginx's 4,096-byte token limit once escaped


def literal(text):
    # Inside single quotes nginx unescapes \' and \\; a $ would start a variable.
    if "$" in text:
        sys.exit("nginx_conf.py: a body with '$' cannot be a literal of nginx's `return`")
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def location(op, body):
    if len(body) <= CHUNK:
        return [f"    location = /{op} {{ return 200 {literal(body)}; }}"]
    lines = [f"    location = /{op} {{"]
    names = []
    for i in range(0, len(body), CHUNK):
        names.append(f"$body_{op}_{i // CHUNK}")
        lines.append(f"      set {names[-1]} {literal(body[i:i + CHUNK])};")
    lines += [f"      return 200 \"{''.join(names)}\";", "    }"]
    return lines


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    capture, port, workers, nginx_dir = sys.argv[1:]
    ops = sorted(f[:-len(".headers")] for f in os.listdir(capture) if f.endswith(".headers"))
    if not ops:
        sys.exit(f"nginx_conf.py: no captured answers in {capture}")
    locations = []
    for op in ops:
        with open(os.path.join(capture, op), encoding="utf-8") as f:
            locations += location(op, f.read())
    tmp = os.path.join(nginx_dir, "tmp")
    print(f"""worker_processes {workers};
daemon off;
pid {nginx_dir}/nginx.pid;
error_log {nginx_dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  server_tokens off;
  server {{
    listen 127.0.0.1:{port};
    default_type application/x-amz-json-1.0;
    location / {{ return 404; }}
""" + "\n".join(locations) + """
  }
}""")


if __name__ == "__main__":
    main()
