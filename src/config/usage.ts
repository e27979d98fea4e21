// Text printed by -h, -v and --help_tls. The layout and every flag spelling follow
// nats-server's usage screen so that people (and scripts) who know one know the other;
// the descriptions are Myelin's own.

import { MYELIN_VERSION } from '../version.js';

/** The `-h` screen. Starts and ends with a blank line, like nats-server's. */
export function usageText(programName = 'myelin'): string {
  return `
Usage: ${programName} [options]

Server Options:
    -a, --addr, --net <host>         Address to listen on for clients (default: 0.0.0.0)
    -p, --port <port>                Client port; -1 picks a free port (default: 4222)
    -n, --name
        --server_name <server_name>  Name of this server (default: generated)
    -P, --pid <file>                 Write the process id to this file
    -m, --http_port <port>           Port for HTTP monitoring
    -ms,--https_port <port>          Port for HTTPS monitoring
    -c, --config <file>              Read options from this configuration file
    -t                               Check the configuration file and exit
    -sl,--signal <signal>[=<pid>]    Signal a running server (ldm, stop, quit, term, reopen, reload)
                                     <pid> is a process id (e.g. 1) or a file holding one (e.g. /var/run/myelin.pid)
        --client_advertise <string>  Client URL that other servers should hand out
        --ports_file_dir <dir>       Write the listening URLs to <executable_name>_<pid>.ports in this directory

Logging Options:
    -l, --log <file>                 Append log lines to this file instead of stderr
    -T, --logtime                    Start log lines with a timestamp (default: true)
    -s, --syslog                     Accepted for nats-server compatibility; not implemented (warns)
    -r, --remote_syslog <addr>       Accepted for nats-server compatibility; not implemented (warns)
    -D, --debug                      Log debug messages
    -V, --trace                      Log every protocol line
    -VV                              Like -V, including system account traffic
    -DV                              Same as -D -V
    -DVV                             Same as -D -VV
        --log_size_limit <limit>     Rotate the log file at this size (default: no rotation)
        --max_traced_msg_len <len>   Cut traced message bodies at this length (default: no limit)
        --logtime_utc                Log timestamps in UTC instead of local time

JetStream Options:
    -js, --jetstream                 Turn JetStream on
    -sd, --store_dir <dir>           Directory for JetStream data

Authorization Options:
        --user <user>                Username clients must present
        --pass <password>            Password clients must present
        --auth <token>               Token clients must present

TLS Options:
        --tls                        Serve clients over TLS without checking their certificates (default: false)
        --tlscert <file>             Certificate of this server
        --tlskey <file>              Private key of the server certificate
        --tlsverify                  Serve clients over TLS and require valid client certificates
        --tlscacert <file>           CA certificate used to check client certificates

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to connect to
        --cluster <cluster-url>      URL on which to accept routes from other cluster members
        --cluster_name <string>      Name of the cluster (default: generated)
        --no_advertise <bool>        Keep cluster member URLs out of what clients are told
        --cluster_advertise <string> Cluster URL that other servers should hand out
        --connect_retries <number>   Connection attempts for implicit routes
        --cluster_listen <url>       Same as --cluster

Profiling Options:
        --profile <port>             Port for the profiling HTTP endpoint

Myelin Options:
        --workers <number>           Data plane worker threads (default: number of CPU cores)
        --log_json                   Write each log line as one JSON object

Common Options:
    -h, --help                       Print this screen
    -v, --version                    Print the version
        --help_tls                   Explain TLS configuration
`;
}

/** The `-v` line. */
/**
 * `-v`: the same shape as nats-server's (`nats-server: v2.12.15`), since scripts parse it. The nats-server
 * level Myelin implements is in the startup log and in INFO's `version`.
 */
export function versionText(): string {
  return `myelin: v${MYELIN_VERSION}`;
}

/** The `--help_tls` screen. */
export function tlsHelpText(): string {
  return `
TLS is set up in the configuration file with a tls block, for example:

    tls {
        cert_file: "./certs/server-cert.pem"
        key_file:  "./certs/server-key.pem"
        ca_file:   "./certs/ca.pem"
        verify:    true
        timeout:   2
    }

verify_and_map: true also requires client certificates, and takes the user
from the certificate (an e-mail or DNS name, or the subject DN) instead of
from CONNECT. handshake_first: true starts TLS before the server sends INFO.

The command line flags --tls, --tlscert, --tlskey, --tlsverify and --tlscacert
set the certificate, key, CA and verification for the client port; any of them
turns TLS on (--tls=false turns it off), and they replace the file's settings.
`;
}
