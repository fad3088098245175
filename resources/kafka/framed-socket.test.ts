import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { framedSocketFactory } from "./framed-socket.ts";

/** A Kafka-shaped request: int32 size, int16 api key, int16 version, int32 correlation id. */
function request(apiKey: number, correlationId: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeInt32BE(8, 0);
  out.writeInt16BE(apiKey, 4);
  out.writeInt32BE(correlationId, 8);
  return out;
}

/** A response: int32 size, int32 correlation id, then `fill` repeated `length` times. */
function response(correlationId: number, length: number, fill: number): Buffer {
  const out = Buffer.alloc(8 + length, fill);
  out.writeInt32BE(4 + length, 0);
  out.writeInt32BE(correlationId, 4);
  return out;
}

const servers: net.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  for (const socket of sockets.splice(0)) socket.destroy();
});
const sockets: net.Socket[] = [];

/** A server that answers each request with `answer(apiKey, correlationId)`, cut into uneven writes. */
async function server(answer: (apiKey: number, correlationId: number) => Buffer): Promise<number> {
  const s = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 12) {
        const bytes = answer(pending.readInt16BE(4), pending.readInt32BE(8));
        pending = pending.subarray(12);
        // Writes that end inside the size prefix, inside the correlation id and inside the body.
        const cuts = [0, ...[3, 6, 5_000, 70_000].filter((c) => c < bytes.length), bytes.length];
        for (let i = 1; i < cuts.length; i++) socket.write(bytes.subarray(cuts[i - 1], cuts[i]));
      }
    });
  });
  servers.push(s);
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const address = s.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function connect(port: number): Promise<{ socket: net.Socket; responses: Buffer[] }> {
  let connected: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const socket = framedSocketFactory()({ host: "127.0.0.1", port, ssl: null, onConnect: () => connected() });
  sockets.push(socket);
  const responses: Buffer[] = [];
  socket.on("data", (data: Buffer) => responses.push(data));
  await ready;
  return { socket, responses };
}

async function receive(responses: Buffer[], count: number): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (responses.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

describe("framed socket", () => {
  test("each response arrives whole, in one data event, however the bytes were cut", async () => {
    const port = await server((apiKey, id) => response(id, apiKey === 1 ? 100_000 : 10, id));
    const { socket, responses } = await connect(port);
    socket.write(request(3, 7));
    socket.write(request(1, 8));
    await receive(responses, 2);
    expect(responses.map((r) => r.length)).toEqual([18, 100_008]);
    expect(responses[0]?.equals(response(7, 10, 7))).toBe(true);
    expect(responses[1]?.equals(response(8, 100_000, 8))).toBe(true);
    socket.destroy();
  });

  test("a Fetch response's memory is reused only after two more Fetch requests; others are copies", async () => {
    const port = await server((apiKey, id) => response(id, apiKey === 1 ? 200_000 : 100_000, id));
    const { socket, responses } = await connect(port);
    const fetch = async (id: number): Promise<Buffer | undefined> => {
      socket.write(request(1, id));
      await receive(responses, id);
      return responses[id - 1];
    };
    const first = await fetch(1);
    const second = await fetch(2);
    // Fetch 3 is sent once fetch 1's response was consumed and fetch 2 was sent: its response reuses
    // fetch 1's memory, while fetch 2's (which a consumer may still be reading) stays intact.
    const third = await fetch(3);
    expect(third?.buffer).toBe(first?.buffer);
    expect(third?.equals(response(3, 200_000, 3))).toBe(true);
    expect(second?.equals(response(2, 200_000, 2))).toBe(true);
    const fourth = await fetch(4);
    expect(fourth?.buffer).toBe(second?.buffer);
    expect(third?.equals(response(3, 200_000, 3))).toBe(true);
    // A response to another request is a copy: later fetches do not touch it.
    socket.write(request(3, 5));
    await receive(responses, 5);
    const other = responses[4];
    for (let id = 6; id <= 8; id++) {
      socket.write(request(1, id));
      await receive(responses, id);
    }
    expect(other?.equals(response(5, 100_000, 5))).toBe(true);
    socket.destroy();
  });
});
