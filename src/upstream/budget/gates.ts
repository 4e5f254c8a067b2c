import type { UpstreamCall, UpstreamHttp } from '../types.js';
import { callContextOf, waitingForBudget } from '../call-context.js';
import type { ProviderQuota } from './quota.js';

/**
 * The budget's two places in the upstream stack (`stack.ts`): the call gate above the policy and
 * the attempt gate below it. Each wraps the layer under it and only calls down into it.
 */

/**
 * The call gate, above the policy: the first attempt's budget is taken before the policy, so a call
 * waiting for budget holds no bulkhead slot and its wait is not part of the upstream deadline; retries
 * take theirs in the attempt gate. What the call is for is read from its signal now, once, and handed
 * on to every attempt. The budget's read-outs (`pollRate`, ...) are added beside `http`'s own.
 */
export function budgetCalls(http: UpstreamHttp, quota: ProviderQuota): UpstreamHttp {
  return {
    ...http,
    pollRate: () => quota.pollRate(),
    pausedUntil: () => quota.pausedByProvider(),
    interactiveCapacity: (withinMs) => quota.interactiveCapacity(withinMs),
    request(method, path, query, signal, headers, body) {
      const context = callContextOf(signal);
      const call: UpstreamCall = {
        traffic: context.traffic,
        scope: context.scope,
        client: context.client,
        prepaid: true,
      };
      // A call that joined an identical one in flight (or was refused before sending) gives its budget back.
      const refund = () => call.prepaid && quota.refund();
      const run = () => http.request(method, path, query, signal, headers, body, call).finally(refund);
      if (!signal?.aborted && quota.tryTake(call.traffic, call.client)) return run();
      // A poll loop counts its calls waiting here, to tell a budget wait from a slow provider (`poll-hub.ts`).
      return waitingForBudget(context, quota.take(call.traffic, signal, call.client)).then(run);
    },
  };
}

/**
 * The attempt gate, below the policy: every attempt (retries included) takes from the provider's
 * request budget before it is sent, as interactive or background traffic (`call-context.ts`), so the
 * gateway never sends a request it knows the provider would refuse.
 */
export function budgetAttempts(http: UpstreamHttp, quota: ProviderQuota): UpstreamHttp {
  return {
    request(method, path, query, signal, headers, body, call) {
      // The first attempt spends what the call gate took before the policy.
      if (call?.prepaid) {
        call.prepaid = false;
        return http.request(method, path, query, signal, headers, body, call);
      }
      const kind = call?.traffic ?? 'interactive';
      // The common case (budget to spare) adds no promise and no tick to the call.
      if (!signal?.aborted && quota.tryTake(kind, call?.client))
        return http.request(method, path, query, signal, headers, body, call);
      return quota
        .take(kind, signal, call?.client)
        .then(() => http.request(method, path, query, signal, headers, body, call));
    },
    close: async () => {
      quota.close();
      await http.close();
    },
  };
}
