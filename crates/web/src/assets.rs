//! Static assets, compiled into the binary so the product runs with no network and no
//! front-end build step. htmx is vendored (0BSD licence) from the npm package `htmx.org`.

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

const CSS: &str = include_str!("../assets/bluelamp.css");
const HTMX: &str = include_str!("../assets/htmx.min.js");
const JS: &str = include_str!("../assets/bluelamp.js");

fn asset(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/bluelamp.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/htmx.min.js",
            get(|| async { asset(HTMX, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/bluelamp.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
}
