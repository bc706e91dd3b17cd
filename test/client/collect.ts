/** Every item of an async iterable, in order (Array.fromAsync, which the ES2023 lib lacks). */
export async function collect<Item>(items: AsyncIterable<Item>): Promise<Item[]> {
  const all: Item[] = [];
  for await (const item of items) all.push(item);
  return all;
}
