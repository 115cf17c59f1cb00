// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IResolver} from "../interfaces/IResolver.sol";
import {ISignedTransferResolver} from "../interfaces/ISignedTransferResolver.sol";

/// @title SignedTransferResolver
/// @notice Pays the responder the amount a named signer attests in an EIP-712 `TransferOutcome` signature, never
///         more than was locked. Stateless and ownerless.
/// @dev The domain comes from OpenZeppelin's EIP712 (cached for this address and chain, rebuilt after a fork;
///      exposed through ERC-5267 `eip712Domain()` so wallets can show what is signed). See
///      ISignedTransferResolver for the encodings.
contract SignedTransferResolver is ISignedTransferResolver, EIP712 {
    /// @inheritdoc ISignedTransferResolver
    bytes32 public constant override TRANSFER_OUTCOME_TYPEHASH =
        keccak256("TransferOutcome(bytes32 transferId,uint256 toResponder,bytes outcomeData)");

    /// @dev Length of `abi.encode(address signer)`.
    uint256 private constant TERMS_LENGTH = 32;

    constructor() EIP712("Switchyard SignedTransferResolver", "1") {}

    /// @inheritdoc IResolver
    function validate(bytes calldata data, uint256 amount) external pure override {
        address signer = _decodeTerms(data);
        if (signer == address(0)) revert ZeroSigner();
        if (amount == 0) revert ZeroAmount();
    }

    /// @inheritdoc IResolver
    /// @dev Malformed `resolverData` (not a valid `abi.encode(uint256, bytes, bytes)`) reverts in `abi.decode`
    ///      with empty revert data.
    function resolve(
        bytes32 transferId,
        bytes calldata data,
        uint256 amount,
        bytes calldata resolverData
    ) external view override returns (uint256 toResponder) {
        address signer = _decodeTerms(data);
        // No valid ECDSA signature recovers to address(0) and it has no code, so this only gives a clearer error.
        if (signer == address(0)) revert ZeroSigner();
        bytes memory outcomeData;
        bytes memory signature;
        (toResponder, outcomeData, signature) = abi.decode(resolverData, (uint256, bytes, bytes));
        bytes32 digest = _hashTypedDataV4(_outcomeStructHash(transferId, toResponder, outcomeData));
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) revert InvalidOutcomeSignature(signer);
        if (toResponder > amount) revert OutcomeExceedsAmount(toResponder, amount);
    }

    /// @inheritdoc ISignedTransferResolver
    function domainSeparator() external view override returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc ISignedTransferResolver
    function outcomeDigest(
        bytes32 transferId,
        uint256 toResponder,
        bytes calldata outcomeData
    ) external view override returns (bytes32) {
        return _hashTypedDataV4(_outcomeStructHash(transferId, toResponder, outcomeData));
    }

    /// @inheritdoc ISignedTransferResolver
    function decodeTerms(bytes calldata data) external pure override returns (address signer) {
        signer = _decodeTerms(data);
    }

    /// @dev EIP-712 struct hash: dynamic `bytes` members are hashed to their keccak256.
    function _outcomeStructHash(
        bytes32 transferId,
        uint256 toResponder,
        bytes memory outcomeData
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(TRANSFER_OUTCOME_TYPEHASH, transferId, toResponder, keccak256(outcomeData)));
    }

    /// @dev Decodes the signer with an explicit dirty-bits check (abi.decode would revert with empty data).
    function _decodeTerms(bytes calldata data) private pure returns (address signer) {
        if (data.length != TERMS_LENGTH) revert InvalidTermsLength(TERMS_LENGTH, data.length);
        bytes32 word = bytes32(data);
        if (uint256(word) >> 160 != 0) revert InvalidSignerEncoding(word);
        signer = address(uint160(uint256(word)));
    }
}
