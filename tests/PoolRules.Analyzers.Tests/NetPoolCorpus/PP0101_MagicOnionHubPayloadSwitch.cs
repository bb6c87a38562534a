// Origin: Cysharp/MagicOnion 4fa924769acb574ff8785c4d5c963c94437116da ("Return to pool", StreamingHubClientBase)
// Bug: the hub client's message switch gives the pooled payload back after broadcasts and responses, but the client-result and heartbeat cases fall through without returning it.
// Pool in the original: StreamingHubPayloadPool, a wrapper over Microsoft.Extensions.ObjectPool.DefaultObjectPool; the payload is taken by the receive loop and handed to the switch.
#nullable enable
using System;
using Microsoft.Extensions.ObjectPool;

namespace NetPoolCorpus.MagicOnionHubPayloadSwitch;

public sealed class Payload
{
    public int Kind;
    public byte[] Body = Array.Empty<byte>();
}

public sealed class Buggy
{
    private readonly ObjectPool<Payload> _payloads = new DefaultObjectPool<Payload>(new DefaultPooledObjectPolicy<Payload>());

    public int Received;

    public void Consume(int kind, byte[] body)
    {
        Payload payload = _payloads.Get(); // expect: PP0101
        payload.Kind = kind;
        payload.Body = body;
        switch (payload.Kind)
        {
            case 0: // broadcast
                Received += payload.Body.Length;
                _payloads.Return(payload);
                break;
            case 1: // response
                Received++;
                _payloads.Return(payload);
                break;
            case 2: // client-result request
                Received += 2;
                break;
            default: // heartbeat
                break;
        }
    }
}

public sealed class Fixed
{
    private readonly ObjectPool<Payload> _payloads = new DefaultObjectPool<Payload>(new DefaultPooledObjectPolicy<Payload>());

    public int Received;

    public void Consume(int kind, byte[] body)
    {
        Payload payload = _payloads.Get();
        payload.Kind = kind;
        payload.Body = body;
        switch (payload.Kind)
        {
            case 0:
                Received += payload.Body.Length;
                _payloads.Return(payload);
                break;
            case 1:
                Received++;
                _payloads.Return(payload);
                break;
            case 2:
                Received += 2;
                _payloads.Return(payload);
                break;
            default:
                _payloads.Return(payload);
                break;
        }
    }
}
