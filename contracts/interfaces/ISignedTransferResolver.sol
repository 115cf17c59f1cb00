// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IResolver} from "./IResolver.sol";

/// @title ISignedTransferResolver
/// @notice A signature-attested transfer: a named signer (an oracle, an escrow agent, or the node for a
///         withdrawal) decides how much of the locked amount the responder receives by signing the outcome.
///         Used for oracle-settled payments and for withdrawals routed through the node.
/// @dev Terms (`data`): `abi.encode(address signer)`. Evidence (`resolverData`):
///      `abi.encode(uint256 toResponder, bytes outcomeData, bytes signature)`.
///
///      The signer signs the EIP-712 typed data
///      `TransferOutcome(bytes32 transferId,uint256 toResponder,bytes outcomeData)` in the domain
///      `{name: "Switchyard SignedTransferResolver", version: "1", chainId, verifyingContract: <this resolver>}`.
///      The transfer id commits to the channel, the asset, the amount and the parties, so an outcome signed for
///      one transfer cannot settle another, in another channel, on another chain or through another resolver.
///      The signer may be an EOA (ECDSA, low-s only, 65-byte signatures) or an ERC-1271 contract account.
interface ISignedTransferResolver is IResolver {
    /// @notice The terms are not exactly `abi.encode(address)`.
    /// @param expected The required length in bytes (32).
    /// @param actual The length received.
    error InvalidTermsLength(uint256 expected, uint256 actual);

    /// @notice The terms' 32-byte word is not a clean address (its upper 96 bits are not zero).
    /// @param word The word received.
    error InvalidSignerEncoding(bytes32 word);

    /// @notice The terms name the zero address as signer.
    error ZeroSigner();

    /// @notice The transfer locks nothing.
    error ZeroAmount();

    /// @notice The outcome's signature is not valid for the named signer.
    /// @param signer The signer the terms name.
    error InvalidOutcomeSignature(address signer);

    /// @notice The signed outcome pays the responder more than the transfer locked.
    /// @param toResponder The signed payout.
    /// @param amount The locked amount.
    error OutcomeExceedsAmount(uint256 toResponder, uint256 amount);

    /// @notice The EIP-712 type hash of `TransferOutcome(bytes32 transferId,uint256 toResponder,bytes outcomeData)`.
    /// @return The type hash.
    function TRANSFER_OUTCOME_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 domain separator of this resolver on the current chain.
    /// @return The domain separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The EIP-712 digest the signer signs to attest an outcome.
    /// @param transferId The id of the transfer the outcome settles.
    /// @param toResponder How much of the locked amount goes to the responder.
    /// @param outcomeData Free-form data the signer attests with the payout (for example an oracle's answer).
    /// @return The digest.
    function outcomeDigest(
        bytes32 transferId,
        uint256 toResponder,
        bytes calldata outcomeData
    ) external view returns (bytes32);

    /// @notice Decodes and checks the shape of signed-transfer terms.
    /// @dev Reverts with `InvalidTermsLength` or `InvalidSignerEncoding`; does not reject the zero signer.
    /// @param data The terms, `abi.encode(address signer)`.
    /// @return signer The named signer.
    function decodeTerms(bytes calldata data) external pure returns (address signer);
}
