// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ChannelFactory} from "../../contracts/ChannelFactory.sol";
import {IAdjudicator} from "../../contracts/interfaces/IAdjudicator.sol";
import {IChannel} from "../../contracts/interfaces/IChannel.sol";
import {IDeploymentConfig} from "../../contracts/interfaces/IDeploymentConfig.sol";
import {HashlockResolver} from "../../contracts/resolvers/HashlockResolver.sol";
import {ChannelHashingHarness} from "../../contracts/test/ChannelHashingHarness.sol";
import {BlacklistToken} from "../../contracts/test/mocks/BlacklistToken.sol";
import {OverpayingResolver} from "../../contracts/test/mocks/OverpayingResolver.sol";
import {AssetState, ChannelState} from "../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../contracts/types/TransferTypes.sol";
import {MerkleBuilder, SigningWallet} from "./utils/DisputeFixture.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @title ChannelHandler
/// @notice Drives one channel through random sequences of what its parties and strangers can do: alice's tracked
///         deposits, bob's plain deposits, co-signed states (payments, new and resolved hashlock transfers),
///         disputes (stale ones included), refutes, time warps, defunds, transfer disputes and settlements, exit
///         withdrawals (by the owner, by signature, replayed), and receivers or a token that start refusing
///         payouts. It keeps the honest parties' off-chain model and ghost totals of what went in and out.
/// @dev Parties behave as an honest SDK would: no new state is signed while a dispute is pending; when a dispute
///      is wholly over they carry on from its outcome (defund nonces bumped for what it paid, its undisputed
///      transfers still active), and states signed before that and never disputed are not submitted later (an
///      honest party would refute them). Anyone may still re-open the recorded state or submit a stale one.
// A handler is its ghost state: the many small counters are the point, so the state-count rule does not apply.
// solhint-disable-next-line max-states-count
contract ChannelHandler is TestBase {
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant BOB_KEY = 0xB0B;
    uint256 internal constant WATCHER_KEY = 0x3A7C4;
    uint256 internal constant ASSETS = 2;

    /// @dev One asset's figures in a co-signed state.
    struct AssetModel {
        uint256 balA;
        uint256 balB;
        uint256 procA;
        uint256 procB;
        uint256 dn;
    }

    /// @dev A co-signed state, kept so that it can be disputed later.
    struct Snapshot {
        uint256 timeout;
        bytes32 root;
        AssetModel[2] assets;
        uint256[] transfers;
    }

    IChannel public channel;
    ChannelHashingHarness public hasher;
    BlacklistToken public token;
    SigningWallet public bobWallet;
    address public alice;
    address public hashlock;
    address public overpayer;
    address public funder;
    address public payee;
    address public watcher;

    address[2] internal assets;

    // ─── the honest parties' off-chain model ─────────────────────────────────────────────────────────────

    AssetModel[2] internal model;
    uint256[] internal active;
    uint256 public latestNonce;
    /// @dev States with a nonce in (recorded nonce, minDisputable) belong to an epoch a dispute has superseded.
    uint256 internal minDisputable;
    mapping(uint256 nonce => Snapshot) internal history;
    Transfer[] internal pool;
    bytes32[] internal preimages;

    bool internal pending;
    /// @dev Cumulative deposits (alice, bob) the channel counted when it paid asset `i` at defund nonce `dn`.
    mapping(uint256 i => mapping(uint256 dn => uint256[2] totals)) internal totalsAtDefund;
    uint256[] internal disputedTransfers;
    mapping(address owner => bytes) internal lastAuth;

    // ─── ghosts ──────────────────────────────────────────────────────────────────────────────────────────

    uint256[2] public ghostAliceIn;
    uint256[2] public ghostBobIn;
    uint256[2] public ghostOut;
    mapping(address asset => mapping(uint256 dn => uint256 count)) public defundCount;
    uint256 public maxDefundCount;
    mapping(bytes32 id => uint256 count) public settleCount;
    uint256 public maxSettleCount;
    uint256 public maxNonceSeen;
    bool public nonceDecreased;
    uint256[2] internal lastDefundNonce;
    bool public defundNonceDecreased;

    // Coverage counters (successful calls).
    uint256 public nDeposits;
    uint256 public nStates;
    uint256 public nDisputes;
    uint256 public nRefutes;
    uint256 public nDefunds;
    uint256 public nReopens;
    uint256 public nAbsorbs;
    uint256 public nTransferDisputes;
    uint256 public nSettles;
    uint256 public nRefunds;
    uint256 public nExitsRecorded;
    uint256 public nExitsWithdrawn;
    uint256 public nRejected;
    uint256 internal lastExits;

    constructor(
        IChannel channel_,
        ChannelHashingHarness hasher_,
        BlacklistToken token_,
        SigningWallet bobWallet_,
        address hashlock_,
        address overpayer_
    ) {
        channel = channel_;
        hasher = hasher_;
        token = token_;
        bobWallet = bobWallet_;
        alice = vm.addr(ALICE_KEY);
        hashlock = hashlock_;
        overpayer = overpayer_;
        funder = address(0xF00D);
        payee = address(0x9A7EE);
        watcher = vm.addr(WATCHER_KEY);
        assets[0] = address(0);
        assets[1] = address(token_);
        model[0].dn = 1;
        model[1].dn = 1;
    }

    modifier step() {
        _absorbIfOver();
        _;
        _afterStep();
    }

    // ─── deposits ────────────────────────────────────────────────────────────────────────────────────────

    function depositAlice(uint256 assetSeed, uint256 amount) external step {
        uint256 i = assetSeed % ASSETS;
        amount = bound(amount, 1, i == 0 ? 5 ether : 5_000e18);
        uint256 before = _held(i);
        bool ok;
        if (i == 0) {
            vm.deal(alice, alice.balance + amount);
            vm.prank(alice);
            // Both entry points: the proxy's own depositAliceEth() and the mastercopy's depositAlice(address(0), …).
            bytes memory data = amount % 2 == 0
                ? abi.encodeCall(channel.depositAliceEth, ())
                : abi.encodeCall(channel.depositAlice, (assets[0], amount));
            (ok, ) = address(channel).call{value: amount}(data);
        } else {
            token.mint(alice, amount);
            vm.prank(alice);
            token.approve(address(channel), amount);
            vm.prank(alice);
            (ok, ) = address(channel).call(abi.encodeCall(channel.depositAlice, (assets[1], amount)));
        }
        if (!ok) {
            ++nRejected; // e.g. alice blacklisted by the token
            return;
        }
        ghostAliceIn[i] += _held(i) - before;
        ++nDeposits;
    }

    function depositBob(uint256 assetSeed, uint256 amount) external step {
        uint256 i = assetSeed % ASSETS;
        amount = bound(amount, 1, i == 0 ? 5 ether : 5_000e18);
        uint256 before = _held(i);
        if (i == 0) {
            vm.deal(funder, amount);
            vm.prank(funder);
            (bool ok, ) = address(channel).call{value: amount}("");
            if (!ok) {
                ++nRejected;
                return;
            }
        } else {
            if (!_plainTokenDeposit(amount)) {
                ++nRejected;
                return;
            }
        }
        ghostBobIn[i] += _held(i) - before;
        ++nDeposits;
    }

    // ─── co-signed states ────────────────────────────────────────────────────────────────────────────────

    /// @notice The parties reconcile deposits, make a payment, maybe lock or resolve a transfer, and sign.
    function signState(uint256 paySeed, uint256 transferSeed, uint256 amountSeed, uint256 timeoutSeed) external step {
        if (pending) return; // no new state while a dispute is pending
        for (uint256 i = 0; i < ASSETS; ++i) {
            AssetModel storage m = model[i];
            uint256 ta = channel.totalDepositsAlice(assets[i]);
            uint256 tb = channel.totalDepositsBob(assets[i]);
            if (ta > m.procA) (m.balA, m.procA) = (m.balA + ta - m.procA, ta);
            if (tb > m.procB) (m.balB, m.procB) = (m.balB + tb - m.procB, tb);
        }
        // A payment in a random asset and direction.
        {
            AssetModel storage m = model[paySeed % ASSETS];
            if ((paySeed >> 8) % 2 == 0) {
                uint256 x = bound(amountSeed, 0, m.balA);
                (m.balA, m.balB) = (m.balA - x, m.balB + x);
            } else {
                uint256 x = bound(amountSeed, 0, m.balB);
                (m.balA, m.balB) = (m.balA + x, m.balB - x);
            }
        }
        uint256 op = transferSeed % 4;
        if (op == 1 || op == 3) _lockTransfer(transferSeed >> 8, amountSeed >> 8);
        if (op == 2 || op == 3) _resolveOffChain(transferSeed >> 16);

        uint256 nonce = latestNonce + 1;
        Snapshot storage snap = history[nonce];
        snap.timeout = bound(timeoutSeed, 0, 2 days);
        snap.assets[0] = model[0];
        snap.assets[1] = model[1];
        snap.transfers = active;
        snap.root = MerkleBuilder.root(_leaves(active));
        latestNonce = nonce;
        ++nStates;
    }

    function _lockTransfer(uint256 seed, uint256 amountSeed) internal {
        uint256 i = seed % ASSETS;
        bool fromAlice = (seed >> 4) % 2 == 0;
        AssetModel storage m = model[i];
        uint256 available = fromAlice ? m.balA : m.balB;
        if (available == 0) return;
        uint256 amount = bound(amountSeed, 1, available);
        if (fromAlice) m.balA -= amount;
        else m.balB -= amount;
        bytes32 preimage = keccak256(abi.encode("preimage", pool.length));
        pool.push(_newTransfer(i, fromAlice, amount, seed, preimage));
        preimages.push(preimage);
        active.push(pool.length - 1);
    }

    function _newTransfer(
        uint256 i,
        bool fromAlice,
        uint256 amount,
        uint256 seed,
        bytes32 preimage
    ) internal view returns (Transfer memory t) {
        bool viaHashlock = (seed >> 8) % 5 != 0;
        t.channel = address(channel);
        t.resolver = viaHashlock ? hashlock : overpayer;
        t.asset = assets[i];
        t.amount = amount;
        (t.initiator, t.responder) = fromAlice ? (alice, address(bobWallet)) : (address(bobWallet), alice);
        t.timeout = bound(seed >> 32, 0, 3 days);
        t.salt = bytes32(pool.length);
        if (viaHashlock) {
            t.data = abi.encode(sha256(abi.encode(preimage)), block.timestamp + bound(seed >> 16, 1 hours, 10 days));
        }
    }

    function _resolveOffChain(uint256 seed) internal {
        uint256 n = active.length;
        if (n == 0) return;
        uint256 k = seed % n;
        Transfer storage t = pool[active[k]];
        uint256 i = t.asset == assets[0] ? 0 : 1;
        // Resolved with the preimage (responder paid) or cancelled (initiator refunded).
        bool toResponder = (seed >> 8) % 2 == 0;
        bool aliceGets = (t.responder == alice) == toResponder;
        if (aliceGets) model[i].balA += t.amount;
        else model[i].balB += t.amount;
        active[k] = active[n - 1];
        active.pop();
    }

    // ─── disputes ────────────────────────────────────────────────────────────────────────────────────────

    /// @notice Anyone submits a co-signed state from the history (the latest, or any older one).
    function dispute(uint256 seed) external step {
        if (latestNonce == 0) return;
        uint256 n = seed % 3 == 0 ? latestNonce : bound(seed >> 2, 1, latestNonce);
        _submit(n);
    }

    /// @notice An honest party answers a dispute with its latest state.
    function refute() external step {
        if (!pending) return;
        IAdjudicator.DisputeRecord memory r = channel.disputeRecord();
        if (block.timestamp >= r.consensusExpiry || latestNonce <= r.nonce) return;
        if (_submit(latestNonce)) ++nRefutes;
    }

    function _submit(uint256 n) internal returns (bool ok) {
        IAdjudicator.DisputeRecord memory r = channel.disputeRecord();
        if (n > r.nonce && n < minDisputable) return false; // superseded epoch: honest parties never submit it
        ChannelState memory s = _stateOf(n);
        bytes32 digest = hasher.channelStateDigest(address(channel), s);
        bytes memory sa = signDigest(ALICE_KEY, digest);
        bytes memory sb = signDigest(BOB_KEY, digest);
        // A watcher submits newer states; re-opening the recorded state (equal nonce) is a party's call only.
        vm.prank(n == r.nonce ? alice : watcher);
        (ok, ) = address(channel).call(abi.encodeCall(channel.disputeChannel, (s, sa, sb)));
        if (!ok) {
            ++nRejected;
            return false;
        }
        ++nDisputes;
        if (n == r.nonce) ++nReopens;
        pending = true;
    }

    /// @notice Anyone defunds some assets of the disputed state.
    function defund(uint256 mask) external step {
        if (!pending) return;
        uint256 m = mask % 3;
        address[] memory list = new address[](m == 2 ? 2 : 1);
        if (m == 2) (list[0], list[1]) = (assets[1], assets[0]);
        else list[0] = assets[m];
        _defund(list);
    }

    function _defund(address[] memory list) internal returns (bool ok) {
        uint256 n = channel.disputeRecord().nonce;
        ChannelState memory s = _stateOf(n);
        uint256[2] memory ta;
        uint256[2] memory tb;
        for (uint256 i = 0; i < ASSETS; ++i) {
            ta[i] = channel.totalDepositsAlice(assets[i]);
            tb[i] = channel.totalDepositsBob(assets[i]);
        }
        uint256[2][3] memory before = _payees();
        vm.prank(watcher);
        (ok, ) = address(channel).call(abi.encodeCall(channel.defundChannel, (s, list)));
        if (!ok) {
            ++nRejected;
            return false;
        }
        _countPayouts(before);
        for (uint256 j = 0; j < list.length; ++j) {
            uint256 i = list[j] == assets[0] ? 0 : 1;
            uint256 c = ++defundCount[list[j]][history[n].assets[i].dn];
            if (c > maxDefundCount) maxDefundCount = c;
            totalsAtDefund[i][history[n].assets[i].dn] = [ta[i], tb[i]];
        }
        ++nDefunds;
    }

    /// @dev When the pending dispute is wholly over, rebuilds the model from its outcome: an asset the disputed
    ///      state paid (now or in an earlier round of the same state) restarts from zero balances with the next
    ///      defund nonce; an asset it never paid keeps its figures (a later dispute settles it); its transfers that
    ///      were not disputed stay active. States signed before this point and never disputed are superseded.
    function _absorbIfOver() internal {
        if (!pending) return;
        IAdjudicator.DisputeRecord memory r = channel.disputeRecord();
        if (block.timestamp < r.defundExpiry) return;
        Snapshot storage snap = history[r.nonce];
        for (uint256 i = 0; i < ASSETS; ++i) {
            uint256 dn = snap.assets[i].dn;
            if (channel.defundNonce(assets[i]) >= dn) {
                uint256[2] storage totals = totalsAtDefund[i][dn];
                model[i] = AssetModel(0, 0, totals[0], totals[1], dn + 1);
            } else {
                model[i] = snap.assets[i];
            }
        }
        delete active;
        uint256[] storage ts = snap.transfers;
        for (uint256 k = 0; k < ts.length; ++k) {
            if (channel.transferRecord(_id(pool[ts[k]])).settleDeadline == 0) active.push(ts[k]);
        }
        if (latestNonce < r.nonce) latestNonce = r.nonce;
        minDisputable = latestNonce + 1;
        pending = false;
        ++nAbsorbs;
    }

    // ─── transfers ───────────────────────────────────────────────────────────────────────────────────────

    /// @notice Anyone disputes a transfer of the disputed state.
    function disputeTransfer(uint256 seed) external step {
        if (!pending) return;
        uint256 n = channel.disputeRecord().nonce;
        uint256[] storage ts = history[n].transfers;
        if (ts.length == 0) return;
        uint256 k = seed % ts.length;
        Transfer memory t = pool[ts[k]];
        bytes32[] memory proof = MerkleBuilder.proof(_leaves(ts), k);
        vm.prank(watcher);
        (bool ok, ) = address(channel).call(abi.encodeCall(channel.disputeTransfer, (_stateOf(n), t, proof)));
        if (!ok) {
            ++nRejected;
            return;
        }
        disputedTransfers.push(ts[k]);
        ++nTransferDisputes;
    }

    /// @notice Settles a disputed transfer: the responder, a watchtower with its signature, or a stranger; after
    ///         the deadline anyone refunds it.
    function settleTransfer(uint256 seed) external step {
        uint256 n = disputedTransfers.length;
        if (n == 0) return;
        uint256 idx = disputedTransfers[seed % n];
        Transfer memory t = pool[idx];
        bytes32 id = _id(t);
        bytes memory evidence = abi.encode(preimages[idx]);
        bytes memory sig;
        address caller;
        bool early = block.timestamp < channel.transferRecord(id).settleDeadline;
        uint256 mode = (seed >> 8) % 3;
        if (!early || mode == 2) {
            caller = watcher; // a refund after the deadline, or a stranger without evidence rights before it
        } else if (mode == 0) {
            caller = t.responder;
        } else {
            caller = watcher;
            bytes32 digest = hasher.transferResolutionDigest(address(channel), id, evidence);
            sig = signDigest(t.responder == alice ? ALICE_KEY : BOB_KEY, digest);
        }
        uint256[2][3] memory before = _payees();
        vm.prank(caller);
        (bool ok, ) = address(channel).call(abi.encodeCall(channel.defundTransfer, (t, evidence, sig)));
        if (!ok) {
            ++nRejected;
            return;
        }
        _countPayouts(before);
        uint256 c = ++settleCount[id];
        if (c > maxSettleCount) maxSettleCount = c;
        if (early) ++nSettles;
        else ++nRefunds;
    }

    // ─── exits ───────────────────────────────────────────────────────────────────────────────────────────

    /// @notice Withdraws an exit: by its owner, by a relayer with the owner's signature, or by replaying the last
    ///         signature used (which must fail).
    function withdrawExit(uint256 seed) external step {
        uint256 i = seed % ASSETS;
        bool ofAlice = (seed >> 4) % 2 == 0;
        address owner = ofAlice ? alice : address(bobWallet);
        if (channel.exitOf(assets[i], owner) == 0) return;
        uint256 mode = (seed >> 8) % 3;
        bytes memory sig;
        address caller = watcher;
        if (mode == 0) {
            caller = owner;
        } else if (mode == 1) {
            bytes32 digest = hasher.exitDigest(address(channel), assets[i], payee, channel.exitNonce(owner));
            sig = signDigest(ofAlice ? ALICE_KEY : BOB_KEY, digest);
        } else {
            sig = lastAuth[owner];
        }
        uint256[2][3] memory before = _payees();
        vm.prank(caller);
        (bool ok, ) = address(channel).call(abi.encodeCall(channel.withdrawExit, (assets[i], owner, payee, sig)));
        if (!ok) {
            ++nRejected;
            return;
        }
        _countPayouts(before);
        if (mode == 1) lastAuth[owner] = sig;
        ++nExitsWithdrawn;
    }

    // ─── the world ───────────────────────────────────────────────────────────────────────────────────────

    function warp(uint256 mode, uint256 secs) external step {
        IAdjudicator.DisputeRecord memory r = channel.disputeRecord();
        uint256 m = mode % 4;
        if (m == 1 && r.consensusExpiry > block.timestamp) vm.warp(r.consensusExpiry);
        else if (m == 2 && r.defundExpiry > block.timestamp) vm.warp(r.defundExpiry);
        else vm.warp(block.timestamp + bound(secs, 1, 2 days));
    }

    function setBobRefusesEth(bool refuse) external step {
        bobWallet.setRefuseEth(refuse);
    }

    function setBlacklisted(uint256 who, bool flag) external step {
        token.setBlacklisted(who % 2 == 0 ? alice : address(bobWallet), flag);
    }

    // ─── internals ───────────────────────────────────────────────────────────────────────────────────────

    function _afterStep() internal {
        uint256 n = channel.disputeRecord().nonce;
        if (n < maxNonceSeen) nonceDecreased = true;
        else maxNonceSeen = n;
        for (uint256 i = 0; i < ASSETS; ++i) {
            uint256 d = channel.defundNonce(assets[i]);
            if (d < lastDefundNonce[i]) defundNonceDecreased = true;
            lastDefundNonce[i] = d;
        }
        uint256 exits = 0;
        for (uint256 i = 0; i < ASSETS; ++i) {
            exits += channel.exitOf(assets[i], alice) + channel.exitOf(assets[i], address(bobWallet));
        }
        if (exits > lastExits) ++nExitsRecorded;
        lastExits = exits;
    }

    function _stateOf(uint256 n) internal view returns (ChannelState memory s) {
        Snapshot storage snap = history[n];
        s.nonce = n;
        s.timeout = snap.timeout;
        s.transfersRoot = snap.root;
        s.assets = new AssetState[](ASSETS);
        for (uint256 i = 0; i < ASSETS; ++i) {
            AssetModel storage m = snap.assets[i];
            s.assets[i] = AssetState(assets[i], m.balA, m.balB, m.procA, m.procB, m.dn);
        }
    }

    function _id(Transfer memory t) internal pure returns (bytes32) {
        return keccak256(abi.encode(t));
    }

    function _leaves(uint256[] storage idx) internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](idx.length);
        for (uint256 k = 0; k < idx.length; ++k) leaves[k] = keccak256(abi.encode(_id(pool[idx[k]])));
    }

    function _held(uint256 i) internal view returns (uint256) {
        return i == 0 ? address(channel).balance : token.balanceOf(address(channel));
    }

    /// @dev Bob's plain token deposit, sent by a funder (any plain transfer counts as bob's).
    function _plainTokenDeposit(uint256 amount) internal returns (bool) {
        token.mint(funder, amount);
        vm.prank(funder);
        return token.transfer(address(channel), amount);
    }

    function _balance(uint256 i, address who) internal view returns (uint256) {
        return i == 0 ? who.balance : token.balanceOf(who);
    }

    /// @dev Balances of every payee (alice, bob's wallet, the exit recipient) in both assets.
    function _payees() internal view returns (uint256[2][3] memory b) {
        address[3] memory who = [alice, address(bobWallet), payee];
        for (uint256 w = 0; w < 3; ++w) {
            for (uint256 i = 0; i < ASSETS; ++i) b[w][i] = _balance(i, who[w]);
        }
    }

    function _countPayouts(uint256[2][3] memory before) internal {
        uint256[2][3] memory afterwards = _payees();
        for (uint256 w = 0; w < 3; ++w) {
            for (uint256 i = 0; i < ASSETS; ++i) ghostOut[i] += afterwards[w][i] - before[w][i];
        }
    }

    /// @notice Ghost totals for the invariants.
    function ghostIn(uint256 i) external view returns (uint256) {
        return ghostAliceIn[i] + ghostBobIn[i];
    }

    function assetAt(uint256 i) external view returns (address) {
        return assets[i];
    }
}

/// @title Channel invariants
/// @notice Random sequences of deposits, co-signed states, disputes, refutes, warps, defunds, transfer disputes
///         and settlements, exits and refusing receivers (see ChannelHandler) never break the channel's
///         accounting: per asset, what left never exceeds what came in and matches the channel's own count,
///         nonces never decrease, no asset is defunded twice at one defund nonce, no transfer is settled twice,
///         and the channel always holds its recorded exits.
/// @dev EDR runs every `invariant_*` function as its own campaign over the contracts `targetContracts()` names,
///      calling only the selectors `targetSelectors()` lists (forge-std StdInvariant semantics).
contract ChannelInvariantTest is TestBase {
    /// @dev forge-std's FuzzSelector, decoded by the runner from `targetSelectors()`.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint256 internal constant START = 1_800_000_000;

    ChannelHandler internal handler;
    IChannel internal channel;
    BlacklistToken internal token;
    SigningWallet internal bobWallet;
    address internal alice;

    function setUp() public {
        vm.warp(START);
        alice = vm.addr(0xA11CE);
        token = new BlacklistToken();
        IDeploymentConfig.AssetLimit[] memory limits = new IDeploymentConfig.AssetLimit[](1);
        limits[0] = IDeploymentConfig.AssetLimit(address(0), 1_000 ether, 100 ether);
        ChannelFactory factory = new ChannelFactory(limits, 1 hours, 7 days);
        bobWallet = new SigningWallet(vm.addr(0xB0B));
        channel = IChannel(factory.createChannel(alice, address(bobWallet), keccak256("invariant")));
        handler = new ChannelHandler(
            channel,
            new ChannelHashingHarness(),
            token,
            bobWallet,
            address(new HashlockResolver()),
            address(new OverpayingResolver(true))
        );
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        bytes4[] memory s = new bytes4[](13);
        s[0] = ChannelHandler.depositAlice.selector;
        s[1] = ChannelHandler.depositBob.selector;
        s[2] = ChannelHandler.signState.selector;
        s[3] = ChannelHandler.dispute.selector;
        s[4] = ChannelHandler.refute.selector;
        s[5] = ChannelHandler.defund.selector;
        s[6] = ChannelHandler.disputeTransfer.selector;
        s[7] = ChannelHandler.settleTransfer.selector;
        s[8] = ChannelHandler.withdrawExit.selector;
        s[9] = ChannelHandler.warp.selector;
        s[10] = ChannelHandler.warp.selector; // time matters most: warp twice as often
        s[11] = ChannelHandler.setBobRefusesEth.selector;
        s[12] = ChannelHandler.setBlacklisted.selector;
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector(address(handler), s);
    }

    function _held(uint256 i) internal view returns (uint256) {
        return i == 0 ? address(channel).balance : IERC20(address(token)).balanceOf(address(channel));
    }

    /// @notice Per asset, the sum paid out of the channel (measured at the payees) never exceeds what was
    ///         deposited into it, and equals the channel's own paid-out counter.
    function invariant_paidOutNeverExceedsDeposits() public view {
        for (uint256 i = 0; i < 2; ++i) {
            uint256 out = handler.ghostOut(i);
            assertLe(out, handler.ghostIn(i), "paid out more than deposited");
            assertEq(channel.totalPaidOut(handler.assetAt(i)), out, "paid-out counter != measured payouts");
        }
    }

    /// @notice Held + paid out == deposits, with each side's deposits exactly as made.
    function invariant_ledgerMatchesDeposits() public view {
        for (uint256 i = 0; i < 2; ++i) {
            address asset = handler.assetAt(i);
            assertEq(_held(i) + channel.totalPaidOut(asset), handler.ghostIn(i), "held + paid out != deposits");
            assertEq(channel.totalDepositsAlice(asset), handler.ghostAliceIn(i), "alice deposits");
            assertEq(channel.totalDepositsBob(asset), handler.ghostBobIn(i), "bob deposits");
        }
    }

    /// @notice The record's nonce (and every asset's defund nonce) never decreases.
    function invariant_noncesNeverDecrease() public view {
        assertTrue(!handler.nonceDecreased(), "record nonce decreased");
        assertTrue(!handler.defundNonceDecreased(), "defund nonce decreased");
        assertGe(channel.disputeRecord().nonce, handler.maxNonceSeen(), "record below the highest seen");
    }

    /// @notice No asset is defunded twice for one defund nonce.
    function invariant_noAssetDefundedTwicePerDefundNonce() public view {
        assertLe(handler.maxDefundCount(), 1, "asset defunded twice at one defund nonce");
    }

    /// @notice No transfer is settled twice.
    function invariant_noTransferSettledTwice() public view {
        assertLe(handler.maxSettleCount(), 1, "transfer settled twice");
    }

    /// @notice The channel always holds at least the exits it recorded.
    function invariant_balanceCoversExits() public view {
        for (uint256 i = 0; i < 2; ++i) {
            address asset = handler.assetAt(i);
            uint256 exits = channel.exitOf(asset, alice) + channel.exitOf(asset, address(bobWallet));
            assertLe(exits, _held(i), "exits exceed holdings");
            assertEq(channel.exitsOutstanding(asset), exits, "outstanding exits != the parties' exits");
        }
    }
}
