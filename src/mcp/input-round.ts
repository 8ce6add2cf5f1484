import type { ClientCapabilities } from './protocol-era.ts';
import type { RequestStateSealer, RoundState, StateBinding } from './request-state.ts';

/** A request the server embeds in an `input_required` result: an elicitation form, a sampling request, or a roots listing. */
export type InputRequest =
  | { method: 'elicitation/create'; params: { mode?: 'form'; message: string; requestedSchema: { type: 'object'; properties: Record<string, object>; required?: string[] } } }
  | { method: 'sampling/createMessage'; params: { messages: unknown[]; maxTokens: number; systemPrompt?: string; [more: string]: unknown } }
  | { method: 'roots/list'; params?: Record<string, never> };

/** The input requests of one round, by server-chosen keys. */
export type InputRequests = Record<string, InputRequest>;

/** The `input_required` result that ends a round (MCP 2026-07-28 basic/patterns/mrtr). */
export interface InputRequiredResult {
  resultType: 'input_required';
  inputRequests: InputRequests;
  requestState: string;
  [key: string]: unknown;
}

/** Thrown by `ctx.input()` to end the handler's round; the runner answers with its result. Never seen by tool code that awaits normally. */
export class InputRequired extends Error {
  constructor(readonly result: InputRequiredResult) {
    super('The call needs input from the client.');
    this.name = 'InputRequired';
  }
}

/** Thrown by `ctx.ask(..., { required: true })` when the client declared none of a needed capability; answered with -32021. */
export class MissingClientCapability extends Error {
  constructor(readonly requiredCapabilities: Record<string, object>) {
    super(`The client did not declare the ${Object.keys(requiredCapabilities).join(', ')} capability this call needs.`);
    this.name = 'MissingClientCapability';
  }
}

/** How `ask` behaves: `data` to carry to the next round; `required` to refuse (-32021) rather than go on when the client cannot be asked. */
export interface AskOptions {
  data?: unknown;
  required?: boolean;
}

const CAPABILITY_OF: Record<InputRequest['method'], 'elicitation' | 'sampling' | 'roots'> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/**
 * One round of a modern call that can ask the client for input. The handler runs from the top on
 * every round: the answers of earlier rounds travel in the sealed state, so `ask` returns them at
 * once, and the first question still unanswered ends the round with an `input_required` result.
 */
export class InputRound {
  readonly #answers: Record<string, unknown>;
  readonly #data: unknown;

  /** `verified` is the state the client echoed, already opened by the sealer; `responses` its `inputResponses`. */
  constructor(
    private readonly sealer: RequestStateSealer,
    private readonly binding: StateBinding,
    private readonly capabilities: ClientCapabilities,
    verified: RoundState | undefined,
    responses: unknown,
  ) {
    this.#data = verified?.data;
    // Answers count only with a verified state that asked for them; a first round (most calls) has none.
    if (!verified) {
      this.#answers = {};
      return;
    }
    const answered = isRecord(responses) ? responses : {};
    const fresh = Object.fromEntries(verified.asked.filter((key) => isRecord(answered[key])).map((key) => [key, answered[key]]));
    this.#answers = { ...verified.answers, ...fresh };
  }

  /** What the handler passed as `data` when it last asked; undefined on the first round. */
  get data(): unknown {
    return this.#data;
  }

  /**
   * The answers to `requests`, once the client has given them all. Requests the client declared no
   * capability for are never sent; when none is left, resolves undefined and the tool goes on
   * without (or, with `required`, the call is refused with -32021 naming the capability). Otherwise ends the round (throws `InputRequired`) asking for what is still missing.
   */
  async ask(requests: InputRequests, options: AskOptions = {}): Promise<Record<string, unknown> | undefined> {
    const declared = (request: InputRequest) => this.capabilities[CAPABILITY_OF[request.method]] !== undefined;
    const lacking = Object.values(requests).filter((request) => !declared(request));
    if (options.required && lacking.length > 0) throw new MissingClientCapability(Object.fromEntries(lacking.map((r) => [CAPABILITY_OF[r.method], {}])));
    const askable = Object.entries(requests).filter(([, request]) => declared(request));
    if (askable.length === 0) return undefined;
    // An answer of the wrong shape counts as none: the client is asked again (mrtr "Error Handling").
    const missing = askable.filter(([key, request]) => !answers(request, this.#answers[key]));
    if (missing.length === 0) return Object.fromEntries(askable.map(([key]) => [key, this.#answers[key]]));
    const asked = missing.map(([key]) => key);
    const requestState = await this.sealer.seal(this.binding, { asked, answers: this.#answers, data: options.data ?? this.#data });
    throw new InputRequired({ resultType: 'input_required', inputRequests: Object.fromEntries(missing), requestState });
  }
}

function answers(request: InputRequest, answer: unknown): boolean {
  if (!isRecord(answer)) return false;
  if (request.method === 'elicitation/create') return answer.action === 'accept' || answer.action === 'decline' || answer.action === 'cancel';
  if (request.method === 'sampling/createMessage') return isRecord(answer.content) || Array.isArray(answer.content);
  return Array.isArray(answer.roots);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The input round the modern era hands an SDK handler (a prompt or resource callback) in its `extra`; undefined in the legacy era. */
export function inputRoundOf(extra: object): InputRound | undefined {
  const input = (extra as { input?: unknown }).input;
  return input instanceof InputRound ? input : undefined;
}
