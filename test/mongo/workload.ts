import type { Store } from '../../coordinator/store/port.ts';
import {
  CLAIM_TTL_MS,
  coordinatorNodeRecord,
  credentialRecord,
  eventRecord,
  holdingsRecord,
  imageRecord,
  orderRecord,
  patternBytes,
  printerRecord,
  T0,
  venueRecord,
} from '../fixtures/store-records.ts';

/** Calls every method of the store port with and without its optional filters, so each query shape runs once. */
export async function exerciseStore(store: Store): Promise<void> {
  await store.insertVenue(venueRecord('v1'));
  await store.getVenue('v1');
  await store.listVenues();
  await store.insertEvent(eventRecord('e1', 'v1'));
  await store.getEvent('e1');
  await store.listEvents();
  await store.listEvents({ venueId: 'v1' });
  await store.raiseFeedHead('e1', { blobsLength: 3, catalogLength: 2 });
  await store.setEventPriceList('e1', { currency: 'EUR', unitPriceCents: 400, bundles: [] });
  await store.insertImage(imageRecord('i1', 'e1'));
  await store.insertImage(imageRecord('i1b', 'e1', { sha256: imageRecord('i1', 'e1').sha256 }));
  await store.getImage('i1');
  await store.listImages('e1');
  await store.listPendingImages('e1', 10);
  await store.listEventsWithPendingImages();
  await store.markImageAppended('i1', { blockOffset: 0, blockLength: 1, byteOffset: 0, byteLength: 10 }, 0);
  await store.putMedia('master/i1', { bytes: patternBytes(300_000), contentType: 'image/jpeg' });
  await store.putMedia('master/i1', { bytes: patternBytes(1_000), contentType: 'image/jpeg' });
  await store.getMedia('master/i1');
  await store.deleteMedia('master/i1');
  await store.insertOrder(orderRecord('o1', { eventId: 'e1' }));
  await store.getOrder('o1');
  await store.getOrderByCode(orderRecord('o1').code);
  await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
  await store.claimOrder('o1', 'pB', T0, CLAIM_TTL_MS);
  await store.confirmPrinted('o1', 'pA', 0, T0 + 1, CLAIM_TTL_MS);
  await store.confirmPrinted('o1', 'pA', 0, T0 + 2, CLAIM_TTL_MS);
  await store.releaseClaim('o1', 'pA');
  await store.transitionOrder('o1', 'payment_failed');
  await store.countOrdersByState();
  await store.listOrders({ eventId: 'e1', states: ['paid', 'redeeming'] }, 10);
  await store.recordPaymentEvent({ id: 'pe1', orderId: 'o1', type: 'succeeded', receivedAt: T0 });
  await store.insertPrinter(printerRecord('p1', 'v1'));
  await store.getPrinter('p1');
  await store.listPrinters();
  await store.listPrinters({ venueId: 'v1' });
  await store.touchPrinter('p1', T0 + 5);
  await store.revokePrinter('p1', T0 + 6);
  await store.putPrinterReport({ printerId: 'p1', venueId: 'v1', receivedAt: T0, report: {} });
  await store.listPrinterReports();
  await store.listPrinterReports({ venueId: 'v1' });
  await store.putHoldings(holdingsRecord('p1', 'e1', ['i1']));
  await store.getHoldings('p1', 'e1');
  await store.listHoldings('e1');
  await store.insertCredential(credentialRecord('h1'));
  await store.getCredential('h1');
  await store.listCredentials();
  await store.revokeCredential('h1', T0 + 7);
  await store.acquireLease('feed:e1', 'c1', T0, 1_000);
  await store.acquireLease('feed:e1', 'c2', T0 + 1, 1_000);
  await store.releaseLease('feed:e1', 'c1');
  await store.touchCoordinatorNode(coordinatorNodeRecord('c1', T0));
  await store.listCoordinatorNodes(T0 - 1);
  await store.queueOrderForFeed({ orderId: 'o1', venueId: 'v1', queuedAt: T0, token: 't1' });
  await store.listQueuedOrders('v1', 10);
  await store.listVenuesWithQueuedOrders();
  await store.dequeueOrders([{ orderId: 'o1', token: 't1' }]);
  await store.raiseOrdersFeedHead('v1', 3);
  await store.getOrdersFeedHead('v1');
  const redemption = { id: 'p1:o1', printerId: 'p1', venueId: 'v1', orderId: 'o1', claimedAt: T0, units: [0] };
  await store.recordOfflineRedemption({ ...redemption, receivedAt: T0, outcome: 'applied' });
  await store.listOfflineRedemptions();
  await store.listOfflineRedemptions({ venueId: 'v1' });
  await store.listOfflineRedemptions({ printerId: 'p1' });
  await store.listOfflineRedemptions({ venueId: 'v1', printerId: 'p1' });
  const conflict = { id: 'c1', kind: 'double_print', venueId: 'v1', orderId: 'o1', printerId: 'p1' } as const;
  await store.insertConflict({ ...conflict, otherPrinterIds: [], units: [0], detail: 'x', detectedAt: T0 });
  await store.listConflicts({}, 10);
  await store.listConflicts({ acknowledged: false }, 10);
  await store.listConflicts({ venueId: 'v1', acknowledged: true }, 10);
  await store.acknowledgeConflict('c1', { at: T0, byCredentialId: 'k', byName: 'Olga' });
}
