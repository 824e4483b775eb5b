"""The seed's Flask catch-all in spirit: app.run, Hello, <body> for POST /invoke."""
import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "DELETE"])
@app.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE"])
def invoke(path):
    return b"Hello, " + request.get_data()


if __name__ == "__main__":
    port = int(os.environ.get("FC_CUSTOM_LISTEN_PORT") or os.environ.get("FC_SERVER_PORT") or os.environ.get("PORT") or 9000)
    app.run(host="0.0.0.0", port=port)
