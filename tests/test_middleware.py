import logging

from aiohttp import web

from adapters.web.middleware import access_and_errors


async def test_an_unexpected_error_is_a_plain_500_and_a_log_line(aiohttp_client, caplog) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    app = web.Application(middlewares=[access_and_errors])
    app.router.add_get("/boom", boom)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.INFO, logger="banshi.http"):
        response = await client.get("/boom", headers={"X-Request-Id": "abc123"})
        body = await response.text()
    assert response.status == 500
    assert "secret internals" not in body and "Traceback" not in body
    assert '"request_id": "abc123"' in body
    assert any(r.getMessage() == "unhandled error" and r.exc_info for r in caplog.records)
    assert any(r.getMessage() == "GET /boom 500" for r in caplog.records)
    assert (await client.get("/nowhere")).status == 404
