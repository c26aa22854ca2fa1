#!/usr/bin/env python3
"""A fake OpenAI-compatible server for the load tests (stdlib asyncio only).

Streams each completion at a known schedule: the first chunk TTFT ms after the request
was read, then one chunk (one token) every ITL ms, each at an absolute deadline; then a
usage chunk with llama-server-like timings, then [DONE]. Every request's receipt and the
time each chunk was written (time.monotonic_ns(), CLOCK_MONOTONIC, the client's clock)
go to --log as JSON lines (writes_ns just before each write, written_ns just after), so a test can check the client's timestamps against what was
really sent. --faults I:KIND,... makes request I (the last number of its X-Request-Id)
fail as KIND: http429, http500, close (no answer), cut (two chunks, then the connection
closed), stall (two chunks, then silence), badsse (an event that is not JSON),
error_event, nousage (no usage chunk).
"""
import argparse
import asyncio
import json
import os
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port-file', required=True)
    ap.add_argument('--ttft-ms', type=float, default=50)
    ap.add_argument('--itl-ms', type=float, default=20)
    ap.add_argument('--stagger-ms', type=float, default=0,
                    help='request I starts (I mod 100) * this later: the streams spread out')
    ap.add_argument('--log', default=None)
    ap.add_argument('--faults', default='')
    ap.add_argument('--n-vocab', type=int, default=32000)
    return ap.parse_args()


ARGS = parse_args()
FAULTS = {}
for item in filter(None, ARGS.faults.split(',')):
    i, kind = item.split(':')
    FAULTS[int(i)] = kind
LOG = open(ARGS.log, 'a', buffering=1) if ARGS.log else None


def chunk_bytes(s):
    b = s.encode()
    return b'%x\r\n%s\r\n' % (len(b), b)


def event(obj):
    return 'data: ' + json.dumps(obj) + '\n\n'


async def answer_json(writer, status, obj, reason):
    b = json.dumps(obj).encode()
    writer.write(b'HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n'
                 % (status, reason.encode(), len(b)) + b)
    await writer.drain()


async def stream(writer, path, body, req_id, recv_ns):
    idx = int(req_id.rsplit('-', 1)[-1]) if req_id else -1
    fault = FAULTS.get(idx)
    if fault == 'http429':
        return await answer_json(writer, 429, {'error': {'message': 'too many requests'}}, 'Too Many Requests')
    if fault == 'http500':
        return await answer_json(writer, 500, {'error': {'message': 'the slot failed'}}, 'Internal Server Error')
    if fault == 'close':
        return 'close'
    chat = path.endswith('/chat/completions')
    n = int(body.get('max_tokens') or body.get('max_completion_tokens') or 16)
    prompt = body.get('prompt') if not chat else body.get('messages', [{}])[-1].get('content', '')
    n_prompt = len(prompt) if isinstance(prompt, list) else len(str(prompt).split())
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n'
                 b'Transfer-Encoding: chunked\r\n\r\n')
    loop = asyncio.get_running_loop()
    t0 = recv_ns / 1e9
    writes, after = [], []
    rec = {'id': req_id, 'recv_ns': recv_ns, 'writes_ns': writes, 'written_ns': after,
           'prompt': prompt}
    try:
        for k in range(n):
            due = t0 + (ARGS.ttft_ms + (max(idx, 0) % 100) * ARGS.stagger_ms + k * ARGS.itl_ms) / 1000
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if fault == 'badsse' and k == 1:
                writer.write(chunk_bytes('data: {"choices": [{"text": "x"\n\n'))
                break
            if fault == 'error_event' and k == 1:
                writer.write(chunk_bytes(event({'error': {'message': 'out of memory'}})))
                break
            if fault in ('cut', 'stall') and k == 2:
                if fault == 'cut':
                    await writer.drain()
                    return 'close'
                await asyncio.sleep(3600)
            last = k == n - 1
            if chat:
                c = {'index': 0, 'delta': {'content': 't%d ' % k}, 'finish_reason': 'length' if last else None}
            else:
                c = {'index': 0, 'text': 't%d ' % k, 'finish_reason': 'length' if last else None}
            data = chunk_bytes(event({'choices': [c], 'model': 'fake', 'object': 'text_completion'}))
            writes.append(time.monotonic_ns())  # just before the bytes go: the client reads them after
            writer.write(data)
            after.append(time.monotonic_ns())  # the bytes are in the kernel's hands by now
            await writer.drain()
        else:
            if fault != 'nousage':
                ttft = (writes[0] - recv_ns) / 1e6
                pred = (writes[-1] - writes[0]) / 1e6
                usage = {'prompt_tokens': n_prompt, 'completion_tokens': n, 'total_tokens': n_prompt + n,
                         'prompt_tokens_details': {'cached_tokens': 0}}
                timings = {'cache_n': 0, 'prompt_n': n_prompt, 'prompt_ms': ttft, 'predicted_n': n,
                           'predicted_ms': pred, 'predicted_per_token_ms': pred / (n - 1) if n > 1 else pred}
                writer.write(chunk_bytes(event({'choices': [], 'usage': usage, 'timings': timings})))
        writer.write(chunk_bytes('data: [DONE]\n\n') + b'0\r\n\r\n')
        await writer.drain()
    finally:
        if LOG:
            LOG.write(json.dumps(rec) + '\n')
    return None


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b'\r\n\r\n')
            lines = head.decode('latin-1').split('\r\n')
            method, path, _ = lines[0].split(' ', 2)
            hdr = {}
            for l in lines[1:]:
                if ':' in l:
                    k, v = l.split(':', 1)
                    hdr[k.strip().lower()] = v.strip()
            n = int(hdr.get('content-length', '0'))
            raw = await reader.readexactly(n) if n else b''
            recv_ns = time.monotonic_ns()
            if method == 'GET' and path == '/health':
                await answer_json(writer, 200, {'status': 'ok'}, 'OK')
            elif method == 'GET' and path == '/v1/models':
                await answer_json(writer, 200, {'object': 'list', 'data': [
                    {'id': 'fake', 'object': 'model', 'meta': {'n_vocab': ARGS.n_vocab}}]}, 'OK')
            elif method == 'POST' and path in ('/v1/completions', '/v1/chat/completions'):
                if await stream(writer, path, json.loads(raw), hdr.get('x-request-id'), recv_ns) == 'close':
                    break
            else:
                await answer_json(writer, 404, {'error': {'message': 'not found'}}, 'Not Found')
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', 0, backlog=1024)
    port = srv.sockets[0].getsockname()[1]
    with open(ARGS.port_file + '.tmp', 'w') as f:
        f.write(str(port))
    os.rename(ARGS.port_file + '.tmp', ARGS.port_file)
    async with srv:
        await srv.serve_forever()


if __name__ == '__main__':
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
