//! A real Model Context Protocol session with `sightline mcp` on the sample: the official SDK's
//! client starts it as a child process, initializes, lists the tools and calls each of them.

mod common;

use common::fixture;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use rmcp::ServiceExt;

/// The text of a tool's answer, and whether the server called it an error.
async fn call(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    tool: &'static str,
    arguments: serde_json::Value,
) -> (String, bool) {
    let mut params = CallToolRequestParams::new(tool);
    if let serde_json::Value::Object(map) = arguments {
        params = params.with_arguments(map);
    }
    let result = client.call_tool(params).await.expect("tools/call");
    let text = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n");
    (text, result.is_error == Some(true))
}

#[tokio::test(flavor = "current_thread")]
async fn an_assistant_session_over_stdio() {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sightline"));
    command.arg("mcp").arg(fixture("order-e2e.json"));
    let transport = TokioChildProcess::new(command).expect("start sightline mcp");
    let client = ().serve(transport).await.expect("initialize");
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("sightline")
    );

    let mut tools: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    tools.sort();
    assert_eq!(
        tools,
        [
            "compare_executions",
            "get_span",
            "get_trace_tree",
            "list_failures",
            "run_sql",
            "search_spans"
        ]
    );

    let (failures, error) = call(&client, "list_failures", serde_json::json!({})).await;
    assert!(!error);
    assert!(failures.starts_with("1 failing test in "), "{failures}");
    assert!(
        failures
            .contains("cause: order-worker › reserve TEAPOT-XL: ValueError: cannot reserve 250"),
        "{failures}"
    );
    assert!(
        failures.contains("trace_id 01a200f0829aba057a2e32b7dec5e98b span_id 63e233094a474182"),
        "{failures}"
    );

    let (tree, _) = call(
        &client,
        "get_trace_tree",
        serde_json::json!({"trace_id": "01a200f0829aba057a2e32b7dec5e98b"}),
    )
    .await;
    assert!(
        tree.contains("- order-worker › reserve TEAPOT-XL (1.29ms) ERROR span_id 63e233094a474182"),
        "{tree}"
    );

    let (span, _) = call(
        &client,
        "get_span",
        serde_json::json!({"span_id": "63e233094a474182"}),
    )
    .await;
    assert!(
        span.starts_with("# Failing test `test_orders.py::test_bulk_order`"),
        "{span}"
    );
    assert!(span.contains("## Attributes of the span"), "{span}");

    let (found, _) = call(
        &client,
        "search_spans",
        serde_json::json!({"query": "TEAPOT", "limit": 3}),
    )
    .await;
    assert!(found.contains("match \"TEAPOT\""), "{found}");

    let (rows, error) = call(
        &client,
        "run_sql",
        serde_json::json!({"sql": "SELECT service_name, count(*) AS n FROM records GROUP BY 1 ORDER BY 2 DESC"}),
    )
    .await;
    assert!(!error);
    assert!(
        rows.starts_with("| service_name | n |\n|---|---|\n| order-worker | 16 |"),
        "{rows}"
    );
    let (message, error) = call(
        &client,
        "run_sql",
        serde_json::json!({"sql": "DROP TABLE records"}),
    )
    .await;
    assert!(error, "{message}");

    // One run: nothing to compare with, and it says why.
    let (compare, error) = call(
        &client,
        "compare_executions",
        serde_json::json!({"test": "test_bulk_order"}),
    )
    .await;
    assert!(error);
    assert!(
        compare.contains("no failing and passing execution to compare"),
        "{compare}"
    );

    client.cancel().await.expect("close");
}

#[tokio::test(flavor = "current_thread")]
async fn the_flaky_test_is_compared_across_the_recorded_runs() {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sightline"));
    command.arg("mcp").arg(fixture("runs.zip"));
    let client =
        ().serve(TokioChildProcess::new(command).expect("start"))
            .await
            .expect("initialize");
    let (compare, error) = call(
        &client,
        "compare_executions",
        serde_json::json!({"test": "test_express_order"}),
    )
    .await;
    assert!(!error, "{compare}");
    assert!(compare.contains("flaky, 50% failed"), "{compare}");
    assert!(
        compare.contains("order-worker › carrier quote attempt 1: +2.35s"),
        "{compare}"
    );
    client.cancel().await.expect("close");
}
