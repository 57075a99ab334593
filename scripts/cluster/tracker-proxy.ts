// nginx in front of a cluster's trackers: one address for uploads, links and
// the admin CLI, passed to any tracker that is up. Open-source nginx checks
// upstreams passively: a tracker that refuses connections (max_fails within
// fail_timeout) is left out for fail_timeout, and the request that found it
// down goes on to the next one (proxy_next_upstream). The tests run it with
// their own config; docs/operations.md shows the same blocks for production.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Proc, ProcessRegistry } from './processes.js';

export const NGINX_BIN = '/usr/sbin/nginx';

/** The upstream and server blocks for `trackers` (host:port each), listening on `listen`. */
export function trackerProxyBlocks(listen: string, trackers: readonly string[]): string {
  return `upstream hoard_trackers {
    ${trackers.map((t) => `server ${t} max_fails=1 fail_timeout=5s;`).join('\n    ')}
  }
  server {
    listen ${listen};
    # A PUT /upload is answered with a redirect before its body is read: no limit here.
    client_max_body_size 0;
    # PUT /upload is answered with a redirect to a node: its body is kept from the tracker (which
    # never reads it), its length passed in a header. A body sent on would race the tracker's
    # answer and close: nginx counts the write error as the tracker failing (max_fails), and with
    # the other tracker down that leaves no live upstream, 502 for fail_timeout.
    location /upload/ {
      proxy_pass http://hoard_trackers;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_pass_request_body off;
      proxy_request_buffering off;
      proxy_set_header Content-Length "";
      proxy_set_header Hoard-Upload-Length $content_length;
      proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
    }
    location / {
      proxy_pass http://hoard_trackers;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # A tracker that is down (refused) is skipped for the next. No upstream keepalive: a request
      # whose body started on a kept connection to a tracker that just died cannot be passed on.
      proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
      # A node's heartbeat stream is not proxied (nodes reach every tracker directly); long admin runs are.
      proxy_read_timeout 30m;
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }`;
}

/** A whole config for a test run: its own pid file, logs and temp paths under `dir`. */
export function trackerProxyConfig(dir: string, port: number, trackers: readonly string[]): string {
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `# Generated for one test run; docs/operations.md has the production form.
daemon off;
master_process on;
worker_processes 1;
${user}pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
  ${trackerProxyBlocks(`127.0.0.1:${port}`, trackers)}
}
`;
}

/** Starts nginx on `port` in front of `trackers`; undefined when nginx is not installed. */
export function startTrackerProxy(procs: ProcessRegistry, dir: string, port: number, trackers: readonly string[]): Proc | undefined {
  if (!existsSync(NGINX_BIN)) return undefined;
  mkdirSync(join(dir, 'client_body'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, trackerProxyConfig(dir, port, trackers));
  return procs.spawn('nginx', NGINX_BIN, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], join(dir, 'stdout.log'));
}
