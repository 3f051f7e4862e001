// Drives the bridge with the TypeScript SDK (@anthropic-ai/sdk from npm), unmodified:
// ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY point it at the bridge. Prints one JSON
// object of what it saw; the Rust test asserts on it. The argument names the part:
// `messages` (create and stream), `files` (upload, a container_upload, the file the
// code wrote) or `programmatic` (tools called from the model's code).
import Anthropic, { toFile } from '@anthropic-ai/sdk';

const client = new Anthropic();
const PROMPT = 'Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]';
const TOOL = { type: 'code_execution_20250825', name: 'code_execution' };
const text = (message) => message.content.filter((b) => b.type === 'text').map((b) => b.text).join('\n');
const summary = (message) => ({
  types: message.content.map((b) => b.type),
  text: text(message),
  stop_reason: message.stop_reason,
  container: message.container?.id ?? null,
  input_tokens: message.usage.input_tokens,
});

async function messages() {
  const { data: created, response } = await client.messages
    .create({ model: 'claude-sonnet-4-6', max_tokens: 4096, tools: [TOOL],
              messages: [{ role: 'user', content: PROMPT }] })
    .withResponse();
  const stream = client.messages.stream({
    model: 'claude-sonnet-4-6', max_tokens: 4096, tools: [TOOL],
    messages: [{ role: 'user', content: 'Run a slow command and tell me what it prints' }],
  });
  const started = Date.now();
  let firstText = null;
  stream.on('text', () => { firstText ??= Date.now() - started; });
  const streamed = await stream.finalMessage();
  let error = null;
  try {
    await client.messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 10,
                                   messages: [{ role: 'user', content: PROMPT }] });
  } catch (err) {
    error = { status: err.status, type: err.error?.error?.type, request_id: err.requestID ?? null };
  }
  return {
    created: { ...summary(created), request_id: response.headers.get('request-id') },
    streamed: { ...summary(streamed), first_text_ms: firstText, end_ms: Date.now() - started },
    unknown_model: error,
  };
}

async function files() {
  const csv = 'item,amount\napples,3\npears,4.5\nplums,2\n';
  const uploaded = await client.beta.files.upload({
    file: await toFile(Buffer.from(csv), 'data.csv', { type: 'text/csv' }),
    betas: ['files-api-2025-04-14'],
  });
  const reply = await client.beta.messages.create({
    model: 'claude-sonnet-4-6', max_tokens: 4096, tools: [TOOL],
    betas: ['code-execution-2025-08-25', 'files-api-2025-04-14'],
    messages: [{ role: 'user', content: [
      { type: 'container_upload', file_id: uploaded.id },
      { type: 'text', text: 'Add up the amount column of data.csv and save it with a total row.' },
    ] }],
  });
  const outputs = reply.content
    .filter((b) => b.type === 'bash_code_execution_tool_result')
    .flatMap((b) => b.content.content ?? [])
    .map((item) => item.file_id);
  const downloaded = outputs.length ? await (await client.beta.files.download(outputs[0])).text() : null;
  const listed = [];
  for await (const file of client.beta.files.list()) listed.push(file.id);
  return { uploaded: { id: uploaded.id, filename: uploaded.filename, size_bytes: uploaded.size_bytes },
           reply: summary(reply), outputs, downloaded, listed };
}

const CITY_PROMPT = 'Compare all 5 cities across weather, population, and cost of living. Which city ' +
  'has the best combination of warm weather, large metro area, and affordable rent? Rank them.';
const WEATHER = { Seattle: [58, 'Cloudy'], Portland: [62, 'Partly Cloudy'], 'San Francisco': [65, 'Foggy'],
                  'Los Angeles': [78, 'Sunny'], Denver: [72, 'Clear'] };
const METRO = { Seattle: 4018762, Portland: 2512859, 'San Francisco': 4749008,
                'Los Angeles': 13200998, Denver: 2963821 };
const RENT = { Seattle: [172, 2100], Portland: [130, 1650], 'San Francisco': [190, 2800],
               'Los Angeles': [166, 2400], Denver: [128, 1700] };
const LOCAL = {
  get_weather: ({ city }) => ({ temp_f: WEATHER[city][0], condition: WEATHER[city][1] }),
  get_population: ({ city }) => ({ metro_population: METRO[city] }),
  get_cost_of_living: ({ city }) => ({ index: RENT[city][0], median_rent_1br: RENT[city][1] }),
};
const cityTool = (name, what) => ({
  name, description: `${what} of a city.`,
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  allowed_callers: ['code_execution_20250825'],
});
const CITY_TOOLS = [TOOL, cityTool('get_weather', 'The weather'), cityTool('get_population', 'The population'),
                    cityTool('get_cost_of_living', 'The cost of living')];

async function programmatic() {
  const messages = [{ role: 'user', content: CITY_PROMPT }];
  const pauses = [];
  const callers = new Set();
  let container;
  for (;;) {
    const reply = await client.messages.create({
      model: 'claude-sonnet-4-6', max_tokens: 4096, tools: CITY_TOOLS, messages,
      ...(container ? { container } : {}),
    });
    container = reply.container?.id;
    const calls = reply.content.filter((b) => b.type === 'tool_use');
    if (reply.stop_reason !== 'tool_use') return { pauses, callers: [...callers], final: summary(reply) };
    pauses.push(calls.length);
    for (const call of calls) callers.add(call.caller?.type);
    messages.push({ role: 'assistant', content: reply.content });
    messages.push({ role: 'user', content: calls.map((call) => ({
      type: 'tool_result', tool_use_id: call.id, content: JSON.stringify(LOCAL[call.name](call.input)),
    })) });
  }
}

const parts = { messages, files, programmatic };
console.log(JSON.stringify(await parts[process.argv[2]]()));
