//! An HTTP-trigger function with routes: path parameters, query, JSON, status codes.
//!
//! `cargo run --example routes`, then `curl localhost:9000/users/42?verbose=1`.

use fc_runtime::{Context, Handler, HandlerError, Request, Response};

struct Api;

impl Handler for Api {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        Ok(event)
    }

    fn http(&self, mut req: Request<'_>, ctx: &Context) -> Result<Response, HandlerError> {
        let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        Ok(match (req.method.as_str(), segments.as_slice()) {
            ("GET", [""]) => Response::ok(format!("function {}\n", ctx.function_name)),
            ("GET", ["users", id]) => {
                let id: u64 = id
                    .parse()
                    .map_err(|_| HandlerError::new("BadId", "id must be a number"))?;
                let verbose = req.query.split('&').any(|kv| kv == "verbose=1");
                Response::json(200, format!("{{\"id\":{id},\"verbose\":{verbose}}}"))
            }
            ("POST", ["echo"]) => {
                let body = req.body.to_vec()?;
                Response::ok(body).with_header("Content-Type", "application/octet-stream")
            }
            (_, ["users", _]) | (_, ["echo"]) => {
                Response::new(405).with_header("Allow", "GET, POST")
            }
            _ => Response::new(404),
        })
    }
}

fn main() {
    fc_runtime::run(Api)
}
