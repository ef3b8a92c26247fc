# workerd config for the runtime matrix: the Cloudflare Worker example, bundled as worker.js beside
# this file, served twice: with the mock server's key, and with a wrong one for the error path.
# Sockets are overridden with --socket-addr; ports are reported on --control-fd.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "clip", worker = .clipWorker),
    (name = "clip-wrong-key", worker = .wrongKeyWorker),
    # The default outbound allows public addresses only; the mock server is on loopback.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:0", http = (), service = "clip"),
    (name = "http-wrong-key", address = "127.0.0.1:0", http = (), service = "clip-wrong-key"),
  ],
);

const clipWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
  globalOutbound = "loopback",
  bindings = [
    (name = "ROBOFLOW_CLIP_URL", fromEnvironment = "ROBOFLOW_CLIP_URL"),
    (name = "ROBOFLOW_API_KEY", fromEnvironment = "ROBOFLOW_API_KEY"),
  ],
);

const wrongKeyWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
  globalOutbound = "loopback",
  bindings = [
    (name = "ROBOFLOW_CLIP_URL", fromEnvironment = "ROBOFLOW_CLIP_URL"),
    (name = "ROBOFLOW_API_KEY", text = "wrong-key-for-the-error-path"),
  ],
);
