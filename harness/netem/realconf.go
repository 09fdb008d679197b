package netem

import (
	"bytes"
	"fmt"
	"os"
	"text/template"
)

// The built-in configurations. Stock is what a team writes first on top of
// the distribution's defaults; tuned is what push transports need. Both
// run in the foreground as one process (nginx: master_process off, so that
// it dies with pushbench; its proxying code is the same as a worker's),
// log errors to a file in the step's folder and keep no access log.
// {{.Idle}}, set by the idle-close fault, replaces every timeout.
var builtinConfigs = map[string]string{
	"nginx/stock": `# pushbench: nginx, stock (the minimal reverse proxy, every default kept)
daemon off;
master_process off;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/nginx.log warn;
{{.StreamLoad}}
events { worker_connections 768; }  # Debian's nginx.conf
http {
    access_log off;
    client_body_temp_path {{.Dir}}/client_body_temp;
    proxy_temp_path {{.Dir}}/proxy_temp;
    fastcgi_temp_path {{.Dir}}/fastcgi_temp;
    uwsgi_temp_path {{.Dir}}/uwsgi_temp;
    scgi_temp_path {{.Dir}}/scgi_temp;
    server {
        listen {{.Listen}};
        location / {
            proxy_pass http://{{.Upstream}};
{{- with .Idle}}
            proxy_read_timeout {{.}};  # the idle-close fault
            proxy_send_timeout {{.}};
            send_timeout {{.}};
{{- end}}
        }
    }
}
{{- if .RawListen}}
stream {
    server {
        listen {{.RawListen}};
        proxy_pass {{.RawUpstream}};
{{- with .Idle}}
        proxy_timeout {{.}};  # the idle-close fault
{{- end}}
    }
}
{{- end}}
`,
	"nginx/tuned": `# pushbench: nginx, tuned for push transports
daemon off;
master_process off;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/nginx.log warn;
{{.StreamLoad}}
worker_rlimit_nofile 20000;
events { worker_connections 9000; }
http {
    access_log off;
    client_body_temp_path {{.Dir}}/client_body_temp;
    proxy_temp_path {{.Dir}}/proxy_temp;
    fastcgi_temp_path {{.Dir}}/fastcgi_temp;
    uwsgi_temp_path {{.Dir}}/uwsgi_temp;
    scgi_temp_path {{.Dir}}/scgi_temp;
    map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
    upstream pushbench {
        server {{.Upstream}};
        keepalive 64;                       # reuse upstream connections (polls)
    }
    server {
        listen {{.Listen}};
        location / {
            proxy_pass http://pushbench;
            proxy_http_version 1.1;             # WebSocket and keep-alive need HTTP/1.1 upstream
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;                # SSE: pass each event on as it comes
            proxy_cache off;
            proxy_read_timeout {{or .Idle "1h"}};   # longer than any heartbeat or long-poll hold
            proxy_send_timeout {{or .Idle "1h"}};
            send_timeout {{or .Idle "1h"}};
        }
    }
}
{{- if .RawListen}}
stream {
    server {
        listen {{.RawListen}};
        proxy_pass {{.RawUpstream}};
        proxy_timeout {{or .Idle "1h"}};
    }
}
{{- end}}
`,
	"haproxy/stock": `# pushbench: HAProxy, stock (minimal mode http, Debian's default timeouts)
global
    log stderr format short local0 warning
defaults
    log global
    mode http
    timeout connect 5s
    timeout client {{or .Idle "50s"}}
    timeout server {{or .Idle "50s"}}
{{- with .Idle}}
    timeout tunnel {{.}}  # the idle-close fault
{{- end}}
frontend http_in
    bind {{.Listen}}
    default_backend pushbench
backend pushbench
    server s1 {{.Upstream}}
{{- if .RawListen}}
listen raw
    mode tcp
    bind {{.RawListen}}
    server s1 {{.RawUpstream}}
{{- end}}
`,
	"haproxy/tuned": `# pushbench: HAProxy, tuned for push transports
global
    log stderr format short local0 warning
    maxconn 9000
defaults
    log global
    mode http
    timeout connect 5s
    timeout client {{or .Idle "1h"}}    # longer than any heartbeat or long-poll hold
    timeout server {{or .Idle "1h"}}
    timeout tunnel {{or .Idle "1h"}}    # upgraded (WebSocket) and tcp connections
    timeout http-keep-alive {{or .Idle "10s"}}
frontend http_in
    bind {{.Listen}}
    option http-keep-alive
    option http-no-delay                # send each chunk now: no MSG_MORE corking of SSE events
    default_backend pushbench
backend pushbench
    option http-keep-alive
    option http-no-delay
    server s1 {{.Upstream}}
{{- if .RawListen}}
listen raw
    mode tcp
    bind {{.RawListen}}
    server s1 {{.RawUpstream}}
{{- end}}
`,
}

// renderConfig fills the built-in template for cfg (or the user's file).
func renderConfig(cfg RealConfig, d tmplData) (string, error) {
	src, name := builtinConfigs[cfg.Kind+"/"+cfg.Form], cfg.Kind+" "+cfg.Form+" config"
	if cfg.Form == "custom" {
		b, err := os.ReadFile(cfg.Template)
		if err != nil {
			return "", fmt.Errorf("failed to read your %s config template: %w", cfg.Kind, err)
		}
		src, name = string(b), cfg.Template
	}
	if src == "" {
		return "", fmt.Errorf("no built-in %s config of form %q (want stock, tuned or custom)", cfg.Kind, cfg.Form)
	}
	t, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("%s: %w (the template gets .Listen, .Upstream, .RawListen, .RawUpstream, .Dir, .Idle and .StreamLoad)", name, err)
	}
	return b.String(), nil
}
