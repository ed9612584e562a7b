// Routing view: read the client's live catalogue, watch it change when another client declares a
// queue, and publish by it.
import { OutgoingMessage, SinewClient, type CatalogueEntry } from "@sinew/client";

const broker = process.env["SINEW_BROKER"] ?? "127.0.0.1:7420";
const topic = `routing-view.${crypto.randomUUID()}`;
const options = { endpoints: [broker], clientName: "routing-view" };

const client = await SinewClient.connect(options);
try {
  // The first read asks the broker once; from then on the broker's pushes keep the view live.
  const catalogue = await client.catalogue();
  console.log(`catalogue generation ${catalogue.generation}: watching for changes`);

  // A listener hears every change; a watcher reads them at its own pace, merged if it falls behind.
  const heard = new Promise<CatalogueEntry>((resolve) => {
    client.onCatalogueChange((change) => {
      const entry = change.added.find((e) => e.topic === topic);
      if (entry !== undefined) resolve(entry);
    });
  });
  const changes = client.watchCatalogue({ signal: AbortSignal.timeout(10_000) });

  // Another application declares a queue.
  const other = await SinewClient.connect(options);
  await other.declareQueue(topic, { partitions: 3 });
  console.log(`declared ${topic} with 3 partitions from another client`);
  await other.close();

  let added: CatalogueEntry | undefined;
  for await (const change of changes) {
    added = change.added.find((e) => e.topic === topic);
    if (added !== undefined) break;
  }
  if (added === undefined) throw new Error("the watch ended before the queue was added");
  console.log(`change: added ${added.topic} (${added.partitions} partitions, routing version ${added.routingVersion})`);
  console.log(`listener: added ${(await heard).topic}`);

  // Reading the catalogue again costs no round trip.
  const listed = (await client.catalogue()).find(topic);
  console.log(`catalogue lists ${listed?.topic}: ${listed?.partitions} partitions, routing version ${listed?.routingVersion}`);

  // Publishers route by the live catalogue and stamp the entry's routing version.
  const receipt = await client.createPublisher(topic).publish(OutgoingMessage.text("hello", { key: "customer-7" }));
  console.log(`published with key customer-7 to partition ${receipt.partition}`);
} finally {
  await client.close();
  console.log("closed");
}
